from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

admin.site.site_header = "careerguide editors"
admin.site.site_title = "careerguide admin"
admin.site.index_title = "Guides and catalog"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's); answer instead of a 404.
    # Lazy: with hashed static files the URL exists only once collectstatic has run, not at import time.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"), permanent=True)),
    path("", include("guides.urls")),
    path("", include("courses.urls")),
]
