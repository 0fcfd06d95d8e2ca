from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from careerguide.admin import HistoryAdmin
from courses import report_views
from courses.feed_pulls import confirm_held_pull
from courses.models import Click, Conversion, Course, Feed, FeedPull, Offer, Partner, Provider, Topic
from courses.stale_edits import StaleEditForm

# Addresses typed without a scheme are taken as https (Django 6's default), not http.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "slug", "website"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(HistoryAdmin):
    form = StaleEditForm
    list_display = ["name", "slug", "synonyms"]
    search_fields = ["name", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}


UNCONFIRMED_DAYS = 30


class FeedFreshnessFilter(admin.SimpleListFilter):
    title = "feed"
    parameter_name = "freshness"

    def lookups(self, request, model_admin):
        return [
            ("unconfirmed", f"No feed has listed it for {UNCONFIRMED_DAYS} days"),
            ("retired", "Retired: its feed dropped it"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "unconfirmed":
            return queryset.filter(retired_at__isnull=True).unconfirmed_since(
                timezone.now() - timedelta(days=UNCONFIRMED_DAYS)
            )
        if self.value() == "retired":
            return queryset.filter(retired_at__isnull=False)
        return queryset


@admin.register(Course)
class CourseAdmin(HistoryAdmin):
    form = StaleEditForm
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "kind", "provider", "level", "price", "certificate", "published", "updated_at"]
    list_filter = ["published", FeedFreshnessFilter, "kind", "level", "certificate", "language", "source"]
    list_select_related = ["provider"]
    search_fields = ["title", "external_id", "isbn"]
    autocomplete_fields = ["provider", "topics"]
    prepopulated_fields = {"slug": ["title"]}  # on the add page only: a slug never changes once set
    # Ratings are the feeds' figures (learners' votes elsewhere): shown, never typed in.
    readonly_fields = [
        "rating", "rating_count", "source", "external_id", "feed_confirmed_at", "retired_at", "created_at", "updated_at"
    ]  # fmt: skip
    actions = ["publish_selected", "unpublish_selected"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "slug", "url", "published", "loaded_version"]}),  # the stale-edit stamp
        ("About", {"fields": ["description", "authors", "provider", "topics", "level", "language", "isbn"]}),
        ("What it costs and takes", {"fields": ["price", "currency", "certificate", "duration_hours"]}),
        ("Ratings, from the feed", {"fields": ["rating", "rating_count"]}),
        ("Search engines and shares", {"fields": ["seo_title", "seo_description"]}),
        (
            "Origin",
            {"fields": ["source", "external_id", "feed_confirmed_at", "retired_at", "created_at", "updated_at"]},
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # nothing to show yet: ratings come from a feed, the origin is "manual"
            fieldsets = [
                (name, options) for name, options in fieldsets if name not in ("Ratings, from the feed", "Origin")
            ]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "published" in form.base_fields:
            form.base_fields["published"].help_text = (
                "Learners see the item once this is ticked. From the list, “Publish the selected items” does the "
                "same for several at once."
            )
        return form

    def get_changeform_initial_data(self, request):
        # Added by hand, an item starts as a draft (the model's default suits the feeds, which publish).
        return {"published": False} | super().get_changeform_initial_data(request)

    def save_model(self, request, obj, form, change):
        if not change and not obj.external_id:
            obj.external_id = f"manual:{obj.slug}"  # unique per source, like a feed's own id
        super().save_model(request, obj, form, change)

    @admin.action(description="Publish the selected items", permissions=["change"])
    def publish_selected(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description="Unpublish the selected items", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        self._set_published(request, queryset, False)

    def _set_published(self, request, queryset, published: bool):
        # One save per item, not an update(): each gets a history version naming the editor, and the
        # page cache hears of it.
        changed = 0
        for course in queryset.exclude(published=published):
            course.published = published
            course._history_user = request.user
            course.save(update_fields=["published", "updated_at"])
            changed += 1
        state = "published" if published else "unpublished"
        self.message_user(request, f"{changed} item(s) {state}; learners see the change at once.")


class BrokenLinkFilter(admin.SimpleListFilter):
    title = "link health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("broken", "Broken links"), ("failing", "Failing, not yet broken"), ("ok", "Healthy")]

    def queryset(self, request, queryset):
        if self.value() == "broken":
            return queryset.broken()
        if self.value() == "failing":
            return queryset.filter(consecutive_failures__gt=0).exclude(pk__in=queryset.broken())
        if self.value() == "ok":
            return queryset.filter(consecutive_failures=0)
        return queryset


class OfferInline(admin.TabularInline):
    model = Offer
    fields = ["course", "url", "commission_tag", "active", "last_status", "consecutive_failures"]
    readonly_fields = ["last_status", "consecutive_failures"]
    autocomplete_fields = ["course"]
    extra = 0
    show_change_link = True


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "commission_rate", "active", "report_link"]
    list_filter = ["active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["report_link"]
    actions = ["rotate_report_tokens"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "active", "allowed_hosts"]}),
        ("Commission", {"fields": ["commission_description", "commission_rate", "tag_parameters", "link_template"]}),
        ("Partner access", {"fields": ["postback_secret", "report_link"]}),
    ]

    def get_urls(self):
        report = self.admin_site.admin_view(report_views.admin_report)
        return [path("report/", report, name="courses_partner_report"), *super().get_urls()]

    @admin.display(description="private report")
    def report_link(self, partner):
        if not partner.pk:
            return "—"
        return format_html('<a href="{}">report page</a>', partner.get_report_url())

    @admin.action(description="Rotate the private report link of the selected partners")
    def rotate_report_tokens(self, request, queryset):
        for partner in queryset:
            partner.rotate_report_token()
        self.message_user(request, f"New report links for {len(queryset)} partner(s); the old links no longer work.")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["course", "partner", "active", "last_status", "last_checked_at", "consecutive_failures"]
    list_filter = ["active", BrokenLinkFilter, "partner"]
    list_select_related = ["course", "partner"]
    search_fields = ["course__title", "url", "commission_tag"]
    autocomplete_fields = ["course"]
    readonly_fields = ["token", "last_checked_at", "last_status", "last_error", "consecutive_failures"]

    def save_model(self, request, obj, form, change):
        if change and "active" in form.changed_data and obj.active:
            obj.consecutive_failures = 0  # switched back on by hand: the link checker starts counting afresh
        super().save_model(request, obj, form, change)


class DateDrillDownChangeList(ChangeList):
    """Django's changelist, with a drill-down to the calendar's last day (?created_at__year=9999&…month=12) answered
    like any other bad filter (the list with an error note) instead of a 500: Django bounds the range with the
    day after, which overflows.
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error


class RecordAdmin(admin.ModelAdmin):
    """Records of what happened (clicks, conversions, feed pulls): read, and deleted by whoever may, but never added
    or changed by hand, even by a superuser; their date drill-down answers an out-of-range day like a bad filter."""

    def get_changelist(self, request, **kwargs):
        return DateDrillDownChangeList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Click)
class ClickAdmin(RecordAdmin):
    list_display = ["created_at", "offer", "referrer_path", "is_bot", "excluded_reason"]
    list_filter = ["is_bot", "excluded_reason", "offer__partner"]
    list_select_related = ["offer__course", "offer__partner"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting millions of clicks for every page view is not worth it


@admin.register(Conversion)
class ConversionAdmin(RecordAdmin):
    list_display = ["created_at", "partner", "order_id", "amount", "commission", "currency", "click"]
    list_filter = ["partner"]
    search_fields = ["order_id", "click_uuid"]
    date_hierarchy = "created_at"


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "source", "partner", "mode", "every_minutes", "active", "last_success_at", "last_result"]
    list_filter = ["active", "mode", "partner"]
    list_select_related = ["partner"]
    search_fields = ["name", "source", "url"]
    # The next pull is the schedule's (and the "pull within a minute" action's), not typed in.
    readonly_fields = [
        "next_pull_at", "last_pull_at", "last_success_at", "last_result", "pulls", "consecutive_failures"
    ]  # fmt: skip
    actions = ["pull_soon"]
    fieldsets = [
        (None, {"fields": ["name", "source", "partner", "active"]}),
        ("Where and what", {"fields": ["url", "format", "mode", "credentials_env"]}),
        ("Schedule and safety", {"fields": ["every_minutes", "next_pull_at", "max_shrink_percent"]}),
        ("Last pulls", {"fields": ["last_pull_at", "last_success_at", "last_result", "pulls", "consecutive_failures"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The source names the items a feed owns: changing it would make every item look dropped.
        return [*super().get_readonly_fields(request, obj), *(["source"] if obj else [])]

    @admin.display(description="every pull")
    def pulls(self, feed):
        if not feed.pk:
            return "—"
        url = reverse("admin:courses_feedpull_changelist") + f"?feed__id__exact={feed.pk}"
        return format_html('<a href="{}">what each pull did, newest first</a>', url)

    @admin.action(description="Pull the selected feeds within a minute", permissions=["change"])
    def pull_soon(self, request, queryset):
        count = queryset.update(next_pull_at=timezone.now())
        self.message_user(request, f"{count} feed(s) will be pulled by the worker within a minute.")


@admin.register(FeedPull)
class FeedPullAdmin(RecordAdmin):
    """A feed's pulls: read, and a held one confirmed."""

    list_display = ["started_at", "feed", "status", "outcome"]  # a failed pull's outcome is its error
    list_filter = ["status", "feed"]
    list_select_related = ["feed"]
    date_hierarchy = "started_at"
    actions = ["confirm_retirement"]

    @admin.display(description="what it did")
    def outcome(self, pull):
        return pull.summary()

    def has_confirm_permission(self, request):
        return request.user.has_perm("courses.change_feed")  # confirming a pull changes what its feed did

    @admin.action(
        description="Confirm the selected held pulls: retire the items their feed no longer lists",
        permissions=["confirm"],
    )
    def confirm_retirement(self, request, queryset):
        held = list(queryset.filter(status=FeedPull.Status.HELD))
        retired = sum(confirm_held_pull(pull, request.user) for pull in held)
        if not held:
            self.message_user(request, "None of the selected pulls is held.", messages.WARNING)
            return
        self.message_user(request, f"{len(held)} held pull(s) confirmed: {retired} item(s) retired.")
