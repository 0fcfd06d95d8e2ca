from django.urls import path

from careerguide.page_cache import cache_public_page, first_pages
from guides import views
from guides.forms import EXPLORER_FACETS_SHOWN

# The explorer's facets, sort and page; its free text is kept only when bounded (see views.career_list).
EXPLORER_PARAMS = ["q", "sort", "page", *(name for name, _, _ in EXPLORER_FACETS_SHOWN)]

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
]
