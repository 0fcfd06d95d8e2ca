from django.urls import path

from careerguide.page_cache import cache_public_page, first_pages
from courses import partner_views, report_views, views
from courses.forms import CourseFilterForm

app_name = "courses"

urlpatterns = [
    # Learners' pages come from the page cache (careerguide/page_cache.py). Never /go/, postbacks or reports.
    path(
        "courses/",
        cache_public_page(views.course_list, params=[*CourseFilterForm.base_fields, "page"], only_if=first_pages),
        name="list",
    ),
    path("courses/<slug:slug>/", cache_public_page(views.course_detail), name="detail"),
    path("topics/", cache_public_page(views.topic_list), name="topic_list"),
    path("topics/<slug:slug>/", cache_public_page(views.topic_detail), name="topic_detail"),
    path("go/<str:token>/", partner_views.go, name="go"),
    path("disclosure/", cache_public_page(partner_views.disclosure), name="disclosure"),
    path("partners/<slug:slug>/postback/", partner_views.postback, name="postback"),
    path("partners/report/<str:token>/", report_views.partner_report, name="partner_report"),
]
