from django.urls import path, register_converter

from careerguide.page_cache import cache_public_page, first_pages
from courses import partner_views, report_views, views
from courses.forms import CourseFilterForm


class TokenConverter:
    """A token as `secrets.token_urlsafe` makes them (offer and report tokens), at most 100 characters. Anything
    else (a NUL byte, which PostgreSQL refuses in text, a megabyte of junk) is a 404 before any query.
    """

    regex = "[A-Za-z0-9_-]{1,100}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")
app_name = "courses"

urlpatterns = [
    # Learners' pages come from the page cache (careerguide/page_cache.py). Never /go/, postbacks or reports.
    path(
        "courses/",
        cache_public_page(views.course_list, params=[*CourseFilterForm.base_fields, "page"], only_if=first_pages),
        name="list",
    ),
    path("courses/suggest/", views.course_suggestions, name="suggest"),
    path("courses/<slug:slug>/", cache_public_page(views.course_detail), name="detail"),
    path("topics/", cache_public_page(views.topic_list), name="topic_list"),
    path("topics/<slug:slug>/", cache_public_page(views.topic_detail), name="topic_detail"),
    path("go/<token:token>/", partner_views.go, name="go"),
    path("disclosure/", cache_public_page(partner_views.disclosure), name="disclosure"),
    path("partners/<slug:slug>/postback/", partner_views.postback, name="postback"),
    path("partners/report/<token:token>/", report_views.partner_report, name="partner_report"),
]
