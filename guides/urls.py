from django.urls import path

from careerguide.page_cache import cache_public_page
from guides import views

app_name = "guides"

urlpatterns = [
    # Learners' pages come from the page cache (careerguide/page_cache.py); editors' previews never do.
    path("", cache_public_page(views.home), name="home"),
    path("careers/", cache_public_page(views.career_list), name="career_list"),
    path("careers/<slug:slug>/", cache_public_page(views.career_detail), name="career_detail"),
    path("careers/<slug:slug>/preview/", views.career_preview, name="career_preview"),
    path("editors/markdown-preview/", views.markdown_preview, name="markdown_preview"),
]
