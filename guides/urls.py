from django.urls import path

from guides import views

app_name = "guides"

urlpatterns = [
    path("", views.home, name="home"),
    path("careers/", views.career_list, name="career_list"),
    path("careers/<slug:slug>/", views.career_detail, name="career_detail"),
    path("careers/<slug:slug>/preview/", views.career_preview, name="career_preview"),
]
