from django.urls import path, register_converter

from careerguide.page_cache import cache_public_page, first_pages
from guides import plan_views, views
from guides.forms import EXPLORER_FACETS_SHOWN

# The explorer's facets, sort and page; its free text is kept only when bounded (see views.career_list).
EXPLORER_PARAMS = ["q", "sort", "page", *(name for name, _, _ in EXPLORER_FACETS_SHOWN)]


class PlanTokenConverter:
    """A plan token as secrets.token_urlsafe(32) makes it; anything else is a 404 before any query."""

    regex = "[A-Za-z0-9_-]{20,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class ItemIdConverter:
    """A row id that every database holds: a 30-digit one is a 404, not an overflow."""

    regex = "[0-9]{1,9}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(PlanTokenConverter, "plan_token")
register_converter(ItemIdConverter, "item_id")

app_name = "guides"

urlpatterns = [
    # Learners' pages come from the page cache (careerguide/page_cache.py); editors' previews never do.
    path("", cache_public_page(views.home), name="home"),
    path("careers/", cache_public_page(views.career_list, params=EXPLORER_PARAMS), name="career_list"),
    path("careers/interests/", cache_public_page(views.interest_list), name="interest_list"),
    path(
        "careers/interests/<slug:code>/",
        cache_public_page(views.interest_detail, params=["page"], only_if=first_pages),
        name="interest_detail",
    ),
    path("careers/compare/", cache_public_page(views.career_compare, params=["a", "b"]), name="career_compare"),
    path("careers/<slug:slug>/", cache_public_page(views.career_detail), name="career_detail"),
    path("careers/<slug:slug>/preview/", views.career_preview, name="career_preview"),
    path("editors/markdown-preview/", views.markdown_preview, name="markdown_preview"),
    # Learning plans are private to whoever holds their link: never in the page cache (guides/plan_views.py).
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/new/", plan_views.plan_create, name="plan_create"),
    path("plans/add/", plan_views.plan_add, name="plan_add"),
    path("plans/shared/<plan_token:token>/", plan_views.plan_shared, name="plan_shared"),
    path("plans/<plan_token:token>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<plan_token:token>/print/", plan_views.plan_print, name="plan_print"),
    path("plans/<plan_token:token>/plan.csv", plan_views.plan_csv, name="plan_csv"),
    path("plans/<plan_token:token>/plan.ics", plan_views.plan_calendar, name="plan_calendar"),
    path("plans/<plan_token:token>/delete/", plan_views.plan_delete, name="plan_delete"),
    path("plans/<plan_token:token>/items/", plan_views.plan_item_add, name="plan_item_add"),
    path(
        "plans/<plan_token:token>/items/<item_id:item_id>/status/", plan_views.plan_item_status, name="plan_item_status"
    ),
    path("plans/<plan_token:token>/items/<item_id:item_id>/move/", plan_views.plan_item_move, name="plan_item_move"),
    path(
        "plans/<plan_token:token>/items/<item_id:item_id>/remove/", plan_views.plan_item_remove, name="plan_item_remove"
    ),
    path(
        "plans/<plan_token:token>/items/<item_id:item_id>/alternatives/",
        plan_views.plan_item_alternatives,
        name="plan_item_alternatives",
    ),
]
