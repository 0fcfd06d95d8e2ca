from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from django_ratelimit.decorators import ratelimit

from careerguide import sitemaps, views
from careerguide.admin import AutocompleteView, register_job_admins
from careerguide.page_cache import cache_public_page

admin.site.site_header = "careerguide admin"
admin.site.site_title = "careerguide admin"
admin.site.index_title = "Guides and catalog"
register_job_admins(admin.site)

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Before admin.site.urls so it wins: sign-in attempts are limited per client (django-ratelimit → 429).
    path("admin/login/", ratelimit(key="ip", rate="10/m", method="POST", block=True)(admin.site.login)),
    # Before admin.site.urls too: its autocomplete, naming courses with format, provider and price.
    path(
        "admin/autocomplete/",
        admin.site.admin_view(AutocompleteView.as_view(admin_site=admin.site)),
        name="admin_autocomplete",
    ),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's); answer instead of a 404.
    # Lazy: with hashed static files the URL exists only once collectstatic has run, not at import time.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"), permanent=True)),
    path("robots.txt", sitemaps.robots_txt, name="robots_txt"),
    # The index lists one file per section and page (?p=2 past 50,000 addresses), with their lastmod.
    path(
        "sitemap.xml",
        cache_public_page(sitemap_views.index, params=["p"]),
        {"sitemaps": sitemaps.SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_public_page(
            sitemap_views.sitemap, params=["p"]
        ),  # 50,000 addresses take seconds to render: rendered once a change
        {"sitemaps": sitemaps.SITEMAPS},
        name="sitemap_section",
    ),
    path("", include("guides.urls")),
    path("", include("courses.urls")),
]
