from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from careerguide.admin import HistoryAdmin
from guides.forms import CareerAdminForm, GuideSectionAdminForm
from guides.models import Career, GuideSection


def preview_url(section: GuideSection) -> str:
    return reverse("guides:career_preview", kwargs={"slug": section.career.slug}) + f"#{section.anchor}"


class GuideSectionInline(admin.StackedInline):
    model = GuideSection
    form = GuideSectionAdminForm
    extra = 0
    ordering = ["position", "pk"]
    fields = [("position", "kind", "published"), "heading", "anchor", "body", "topics", "picks", "loaded_version"]
    autocomplete_fields = ["topics", "picks"]
    show_change_link = True


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
        "topics",
        "seo_title",
        "seo_description",
        "published",
        "loaded_version",
    ]
    autocomplete_fields = ["topics"]

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
    list_display = ["heading", "career", "kind", "position", "published", "updated_at"]
    list_display_links = ["heading"]
    list_editable = ["position"]
    list_filter = ["published", "kind", "career"]
    list_select_related = ["career"]
    search_fields = ["heading", "body", "career__name"]
    ordering = ["career__name", "position", "pk"]
    fields = [
        "career",
        ("position", "kind", "published"),
        "heading",
        "anchor",
        "body",
        "topics",
        "picks",
        "preview",
        "loaded_version",
    ]
    autocomplete_fields = ["topics", "picks"]
    readonly_fields = ["preview"]

    @admin.display(description="Preview")
    def preview(self, section):
        if not section.pk:
            return "Save the section to preview it."
        return format_html('<a href="{}">Preview this section as learners will see it</a>', preview_url(section))

    def view_on_site(self, section):
        return section.get_absolute_url() if section.published and section.career.published else preview_url(section)
