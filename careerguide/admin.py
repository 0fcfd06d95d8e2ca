"""The admin base every model with history uses (wiring shared by the apps, like the page cache)."""

from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose revert needs the right to change the object, not only to see it.

    simple_history 3.13's history form saves a POST after checking only the view permission and merely hides
    the Revert button (issue 13): a view-only partner manager re-published a course that way.
    """

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_malformed_ids(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._refuse_malformed_ids(object_id, version_id)
        if request.method == "POST":
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
