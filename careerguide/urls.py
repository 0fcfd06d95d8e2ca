from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "careerguide editors"
admin.site.site_title = "careerguide admin"
admin.site.index_title = "Guides and catalog"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("guides.urls")),
    path("", include("courses.urls")),
]
