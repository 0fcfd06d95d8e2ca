"""The admin base every model with history uses (wiring shared by the apps, like the page cache)."""

import difflib
import re

from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

_WORDS = re.compile(r"\S+|\s+")
LONG_TEXT = 80  # longer values (and any with a line break) are shown as a word diff, not as "old → new"


def normalized(value):
    """Text as it means the same: browsers post CRLF line ends and the forms strip the ends."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def word_diff(old: str, new: str):
    """The new text with removed words in <del> and added words in <ins>, every word escaped."""
    old_words, new_words = _WORDS.findall(normalized(old)), _WORDS.findall(normalized(new))
    parts = []
    opcodes = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes()
    for position, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag in ("delete", "replace"):
            parts.append(("del", "".join(old_words[i1:i2])))
        if tag in ("insert", "replace"):
            parts.append(("ins", "".join(new_words[j1:j2])))
        if tag == "equal":
            unchanged = old_words[i1:i2]
            after, before = position > 0, position < len(opcodes) - 1  # a change before it, after it
            parts.append(("", _around_changes(unchanged, after_change=after, before_change=before)))
    return format_html_join(
        "", "{}", ((format_html("<{}>{}</{}>", tag, text, tag) if tag else text,) for tag, text in parts)
    )


def _around_changes(tokens: list[str], *, after_change: bool, before_change: bool, context: int = 24) -> str:
    """Unchanged text between changes, cut to the words next to them: a one-word edit of a long body shows a
    line of context, not the whole body (`context` counts words and the spaces between them). The words kept
    are those next to a change: after the one before this text, before the one after it (an addition at the
    end of a body shows the words it follows).
    """
    if len(tokens) <= 2 * context + 1:
        return "".join(tokens)
    head = "".join(tokens[:context]) if after_change else ""
    tail = "".join(tokens[-context:]) if before_change else ""
    return f"{head} … {tail}" if head and tail else f"{head} …" if head else f"… {tail}"


class ReadableChanges(HistoricalRecordContextHelper):
    """Each change of a version in full: long texts as a word diff, short values as "old → new".

    simple_history cuts every value to 100 characters ("[412 chars]"), which leaves a body edit unreadable,
    and shows a CRLF-only difference (a browser's save of untouched text) as a change.
    """

    def context_for_delta_changes(self, delta):
        changes = []
        for change in delta.changes:
            if normalized(change.old) == normalized(change.new):
                continue
            if isinstance(change.old, str) and isinstance(change.new, str) and self.is_long(change):
                field = self.format_delta_change(change).field
                changes.append({"field": field, "diff": word_diff(change.old, change.new)})
            else:
                formatted = self.format_delta_change(change)
                changes.append({"field": formatted.field, "old": formatted.old, "new": formatted.new, "diff": None})
        return changes

    def is_long(self, change):
        return any(len(value) > LONG_TEXT or "\n" in value for value in (change.old, change.new))

    def get_obj_diff_display(self):
        display = super().get_obj_diff_display()
        display.common_shorten_repr = lambda *values: values  # short values only reach here: show them whole
        return display


class LabelledAutocompleteSelect(AutocompleteSelect):
    """An optional autocomplete field (a course's provider). Its empty choice is an empty <option> so select2 shows
    its placeholder, but HTML allows an empty option only with a label attribute: it gets one."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value == "" and not label:
            option["attrs"]["label"] = "None"
        return option


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose revert needs the right to change the object, not only to see it.

    simple_history 3.13's history form saves a POST after checking only the view permission and merely hides
    the Revert button (issue 13): a view-only partner manager re-published a course that way.
    """

    object_history_list_template = "admin/history_list.html"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = LabelledAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def save_model(self, request, obj, form, change):
        version = getattr(request, "reverting_to", None)
        if version is not None:
            when = formats.date_format(timezone.localtime(version.history_date), "DATETIME_FORMAT")
            obj._change_reason = f"Reverted to the version of {when}"
        super().save_model(request, obj, form, change)

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_malformed_ids(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._refuse_malformed_ids(object_id, version_id)
        if request.method == "POST":
            request.reverting_to = self.model.history.filter(pk=version_id).first()
            # The rights a save through the change form needs, on the object as it is now.
            current = self.get_object(request, unquote(object_id))
            if self.revert_disabled(request, current):
                raise PermissionDenied
            if current is None and not self.has_add_permission(request):  # deleted: reverting makes it again
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return super().revert_disabled(request, obj) or not self.has_change_permission(request, obj)

    def render_history_view(self, request, template, context, **kwargs):
        adminform = context.get("adminform")
        if adminform is not None and context["revert_disabled"]:
            # Shown as the change form shows it to view-only staff: values, no inputs (and no prepopulating).
            fieldsets = list(adminform.fieldsets)
            context["adminform"] = helpers.AdminForm(
                adminform.form, fieldsets, {}, flatten_fieldsets(fieldsets), model_admin=self
            )
        return super().render_history_view(request, template, context, **kwargs)

    def _refuse_malformed_ids(self, object_id, version_id=None):
        """404 for an id that is no id (a word, a NUL byte): simple_history would pass it to the database
        unchecked, a 500. Django's own get_object checks the same way.
        """
        checks = [(self.model._meta.pk, unquote(object_id))]
        if version_id is not None:
            checks.append((self.model.history.model._meta.pk, version_id))
        for field, value in checks:
            try:
                field.to_python(value)
            except (ValidationError, ValueError):
                raise Http404("No such record.") from None


def autocomplete_label(obj) -> str:
    """How the admin's autocompletes name an item: a course or book with its format, provider and price (titles
    alone were cut off and alike), anything else as itself.
    """
    summary_line = getattr(obj, "summary_line", None)
    return f"{obj} ({summary_line()})" if summary_line else str(obj)


class AutocompleteView(AutocompleteJsonView):
    """The admin's autocomplete answers (careerguide/urls.py routes admin/autocomplete/ here), with richer labels."""

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("provider") if hasattr(queryset.model, "summary_line") else queryset

    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": autocomplete_label(obj)}


def register_job_admins(site) -> None:
    """The task queue's pages (careerguide/jobs.py) with least privilege: its history (successes, failures) is a
    record, read by whoever was granted to view it and never edited; re-running a job, or changing a schedule (its
    function is a dotted path: code to run), is for superusers only; the raw queue is seen by superusers only."""
    from django.contrib import admin
    from django.template.defaultfilters import truncatechars
    from django_q import admin as queue_admin
    from django_q.models import Failure, OrmQ, Schedule, Success

    class SuperuserActions:
        def get_actions(self, request):
            return super().get_actions(request) if request.user.is_superuser else {}

        def get_object(self, request, object_id, from_field=None):
            # A run's id is text: a NUL byte would reach PostgreSQL, which refuses it (a 500). No run has one.
            if "\x00" in unquote(object_id):
                return None
            return super().get_object(request, object_id, from_field)

    # The schedule's name (the task's group), when it ran, and what it said: the hashed task names and the cluster
    # are the same noise on every line, and pushed the result out of a phone's width.
    class HistoryOfRuns(SuperuserActions, queue_admin.TaskAdmin):
        list_display = ("group", "started", "short_result", "seconds")
        list_display_links = ("group",)

        @admin.display(description="Took")
        def seconds(self, obj):
            return f"{obj.time_taken():.1f} s"

        @admin.display(description="Result")
        def short_result(self, obj):
            return truncatechars(str(obj.result), 100)

        def has_change_permission(self, request, obj=None):
            return False

    class HistoryOfFailures(SuperuserActions, queue_admin.FailAdmin):
        list_display = ("group", "started", "attempt_count", "short_result")
        list_display_links = ("group",)

        def has_change_permission(self, request, obj=None):
            return False

    class Schedules(queue_admin.ScheduleAdmin):
        def has_add_permission(self, request):
            return request.user.is_superuser

        def has_change_permission(self, request, obj=None):
            return request.user.is_superuser

    class Queue(queue_admin.QueueAdmin):
        def has_view_permission(self, request, obj=None):
            return request.user.is_superuser

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return request.user.is_superuser

        def has_module_permission(self, request):
            return request.user.is_superuser

    for model, model_admin in (
        (Success, HistoryOfRuns),
        (Failure, HistoryOfFailures),
        (Schedule, Schedules),
        (OrmQ, Queue),
    ):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
