from django.contrib import admin
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from careerguide.admin import HistoryAdmin
from guides.forms import CareerAdminForm, GuideSectionAdminForm, GuideSectionOrderForm, PickForm, SectionPositionForm
from guides.markdown import render_markdown, sanitizer_removals
from guides.models import Career, GuideSection, GuideSectionPick, Occupation, Technology
from guides.services import start_guide

# htmx for the Markdown preview button; the admin's base_site.html sets the same strict htmx-config as the site.
HTMX = ["django_htmx/htmx-2.min.js"]


def preview_url(section: GuideSection) -> str:
    return reverse("guides:career_preview", kwargs={"slug": section.career.slug}) + f"#{section.anchor}"


def markdown_preview(field: str, text: str):
    """The "Preview" button for a Markdown field and, below it, the saved text as learners see it.

    The button posts the form to guides:markdown_preview: htmx swaps the answer in here; without JavaScript
    the browser opens it in a new tab. Either way nothing is saved.
    """
    url = reverse("guides:markdown_preview") + ("" if field == "body" else f"?field={field}")
    button = format_html(
        '<button type="submit" class="button" formaction="{}" formtarget="_blank" formnovalidate '
        'data-hx-post="{}" data-hx-target="#markdown-preview" data-hx-swap="outerHTML">Preview the {}</button>',
        url,
        url,
        field,
    )
    region = render_to_string(
        "admin/guides/markdown_preview.html#preview",
        {"html": render_markdown(text), "removals": sanitizer_removals(text)},
    )
    return format_html("{}{}", button, region)


class PickInline(admin.TabularInline):
    """The section's picks in the editor's order: the guide shows them by position, never by title."""

    model = GuideSectionPick
    form = PickForm
    fields = ["position", "course"]
    autocomplete_fields = ["course"]
    ordering = ["position", "pk"]
    extra = 1
    verbose_name = "pick"
    verbose_name_plural = "Picks: courses and books chosen for this section, shown in this order"


class GuideSectionInline(admin.TabularInline):
    """The career's sections as a short table: editing one opens its own page (nine bodies inline made the
    career page 7,000 px tall). Position and publishing stay editable here, to reorder at a glance.
    """

    model = GuideSection
    form = GuideSectionOrderForm
    extra = 0
    ordering = ["position", "pk"]
    fields = ["edit_link", "kind", "position", "published", "draft_waiting", "updated_at", "loaded_version"]
    readonly_fields = ["edit_link", "kind", "draft_waiting", "updated_at"]
    can_delete = False

    @admin.display(description="Draft revision waiting", boolean=True)
    def draft_waiting(self, section):
        return section.has_draft

    @admin.display(description="Heading (opens the section)")
    def edit_link(self, section):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:guides_guidesection_change", args=[section.pk]), section
        )

    def has_add_permission(self, request, obj=None):
        return False  # new sections are added on their own page (the "Add a section" link)


@admin.register(Career)
class CareerAdmin(HistoryAdmin):
    form = CareerAdminForm
    inlines = [GuideSectionInline]
    list_display = ["name", "slug", "published", "section_count", "updated_at"]
    list_filter = ["published", "sections__kind"]
    search_fields = ["name", "alternative_titles", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "slug",
        "alternative_titles",
        "summary",
        "intro",
        "intro_preview",
        "topics",
        "occupation",
        "seo_title",
        "seo_description",
        "published",
        "add_section",
        "loaded_version",
    ]
    autocomplete_fields = ["topics", "occupation"]
    readonly_fields = ["intro_preview", "add_section"]

    class Media:
        js = HTMX

    @admin.display(description="Intro as learners see it")
    def intro_preview(self, career):
        return markdown_preview("intro", career.intro if career.pk else "")

    @admin.display(description="Sections")
    def add_section(self, career):
        if not career.pk:
            return "Save the career first, then add its sections."
        url = reverse("admin:guides_guidesection_add") + f"?career={career.pk}"
        return format_html('<a href="{}" class="addlink">Add a section</a> (listed below once saved)', url)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(section_count=Count("sections"))

    @admin.display(description="Sections", ordering="section_count")
    def section_count(self, career):
        return career.section_count

    def view_on_site(self, career):
        # Drafts have no public page yet; staff see them in the preview.
        if career.published:
            return career.get_absolute_url()
        return reverse("guides:career_preview", kwargs={"slug": career.slug})


@admin.register(GuideSection)
class GuideSectionAdmin(HistoryAdmin):
    form = GuideSectionAdminForm
    list_display = ["heading", "career", "kind", "position", "published", "draft_waiting", "updated_at"]
    list_display_links = ["heading"]
    list_editable = ["position"]
    list_filter = ["published", "kind", "career"]
    list_select_related = ["career"]
    search_fields = ["heading", "body", "career__name"]
    ordering = ["career__name", "position", "pk"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "career",
                    ("position", "kind", "published"),
                    "heading",
                    "body",
                    "body_preview",
                    "topics",
                    "preview",
                    "loaded_version",
                ]
            },
        ),
        ("Link target (technical)", {"classes": ["collapse"], "fields": ["anchor"]}),
    ]
    autocomplete_fields = ["topics"]
    readonly_fields = ["preview", "body_preview"]
    inlines = [PickInline]

    class Media:
        js = HTMX

    change_form_template = "admin/guides/guidesection/change_form.html"

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=SectionPositionForm, **kwargs)

    @admin.display(description="Draft revision", boolean=True)
    def draft_waiting(self, section):
        return section.has_draft

    def save_model(self, request, obj, form, change):
        # A published section's new heading and body can wait as a draft (guides.models.GuideSection.save_draft).
        # Decided by the button and the row as stored, not the form's Published box: a section unpublished with a
        # draft waiting saves what the form showed (the draft) and keeps no stale draft.
        if change and (obj.has_draft or "_save_draft" in request.POST):
            live = GuideSection.objects.filter(pk=obj.pk).values("heading", "body", "published").first()
            stays_published = live and live["published"] and obj.published
            if stays_published and "_save_draft" in request.POST:
                obj.save_draft(heading=obj.heading, body=obj.body, live_heading=live["heading"], live_body=live["body"])
            elif live and "_discard_draft" in request.POST:
                obj.discard_draft(live_heading=live["heading"], live_body=live["body"])
            elif obj.has_draft:
                obj.publish_draft()  # Save or "Publish draft": what the form shows goes live
        super().save_model(request, obj, form, change)

    def response_change(self, request, obj):
        if "_save_draft" in request.POST or "_discard_draft" in request.POST:
            preview = preview_url(obj)
            if obj.has_draft:
                message = format_html(
                    "Draft saved: learners still see the published text. "
                    '<a href="{}">Preview the page with the draft</a>, then publish or discard it here.',
                    preview,
                )
            elif "_discard_draft" in request.POST:
                message = "Draft discarded: the published text stays as it was."
            else:
                message = "Saved. Only a published section keeps a draft: this text is the section's now."
            self.message_user(request, message)
            return HttpResponseRedirect(request.path)
        if "_publish_draft" in request.POST:
            self.message_user(request, "The draft is published: learners see it now.")
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.display(description="Body as learners see it")
    def body_preview(self, section):
        if not section.pk:
            return markdown_preview("body", "")
        return markdown_preview("body", section.draft_body if section.has_draft else section.body)  # as the form

    @admin.display(description="Preview")
    def preview(self, section):
        if not section.pk:
            return "Save the section to preview it."
        return format_html('<a href="{}">Preview this section as learners will see it</a>', preview_url(section))

    def view_on_site(self, section):
        return section.get_absolute_url() if section.published and section.career.published else preview_url(section)


@admin.register(Occupation)
class OccupationAdmin(admin.ModelAdmin):
    """Imported by `manage.py import_occupations`: read here, changed by the next import, not by hand."""

    list_display = ["title", "code", "job_zone", "median_wage", "employment_change_percent", "guide"]
    list_filter = ["job_zone", "entry_education", "growth_band"]
    search_fields = ["title", "code", "titles__title"]
    list_select_related = ["career"]
    actions = ["start_guide"]
    readonly_fields = [field.name for field in Occupation._meta.fields]

    @admin.display(description="Guide")
    def guide(self, occupation):
        career = getattr(occupation, "career", None)
        if career is None:
            return self.get_empty_value_display()
        return format_html('<a href="{}">{}</a>', reverse("admin:guides_career_change", args=[career.pk]), career)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Start a guide for the selected occupation", permissions=["add_career"])
    def start_guide(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one occupation to start its guide.", level="warning")
            return None
        career, created = start_guide(occupation=queryset.get())
        if not created:
            self.message_user(request, "This occupation already has a guide: here it is.", level="warning")
        return HttpResponseRedirect(reverse("admin:guides_career_change", args=[career.pk]))

    def has_add_career_permission(self, request):
        return request.user.has_perm("guides.add_career")


@admin.register(Technology)
class TechnologyAdmin(admin.ModelAdmin):
    """Which catalog topic teaches each technology: profiles link there. Set once by an editor, kept."""

    list_display = ["name", "commodity", "topic"]
    list_filter = [("topic", admin.EmptyFieldListFilter), "topic"]
    list_select_related = ["topic"]
    search_fields = ["name", "commodity"]
    autocomplete_fields = ["topic"]
    fields = ["name", "commodity", "topic"]
    readonly_fields = ["name", "commodity"]

    def has_add_permission(self, request):
        return False  # technologies come from import_occupations

    def has_delete_permission(self, request, obj=None):
        return False  # the next import would bring it back, without the editor's topic

    def save_model(self, request, obj, form, change):
        obj.topic_by_editor = True  # imports fill in blanks only: an editor's choice, even "none", stays
        super().save_model(request, obj, form, change)
