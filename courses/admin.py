from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from courses.models import Course, Provider, Topic
from courses.services import refresh_search_keywords

# Addresses typed without a scheme are taken as https (Django 6's default), not http.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "slug", "website"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            refresh_search_keywords(courses=obj.courses.all())  # the provider's name is searchable


@admin.register(Topic)
class TopicAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "synonyms"]
    search_fields = ["name", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            refresh_search_keywords(courses=obj.courses.all())


@admin.register(Course)
class CourseAdmin(SimpleHistoryAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "kind", "provider", "level", "price", "certificate", "published", "updated_at"]
    list_filter = ["published", "kind", "level", "certificate", "language", "source"]
    list_select_related = ["provider"]
    search_fields = ["title", "external_id", "isbn"]
    autocomplete_fields = ["provider", "topics"]
    readonly_fields = ["source", "external_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "slug", "url", "published"]}),
        ("About", {"fields": ["description", "authors", "provider", "topics", "level", "language", "isbn"]}),
        ("What it costs and takes", {"fields": ["price", "currency", "certificate", "duration_hours"]}),
        ("Ratings", {"fields": ["rating", "rating_count"]}),
        ("Origin", {"fields": ["source", "external_id", "created_at", "updated_at"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.refresh_search_keywords()  # topics are saved only now
