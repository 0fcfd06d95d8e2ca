from django.urls import path

from courses import partner_views, report_views, views

app_name = "courses"

urlpatterns = [
    path("courses/", views.course_list, name="list"),
    path("courses/<slug:slug>/", views.course_detail, name="detail"),
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic_detail"),
    path("go/<str:token>/", partner_views.go, name="go"),
    path("disclosure/", partner_views.disclosure, name="disclosure"),
    path("partners/<slug:slug>/postback/", partner_views.postback, name="postback"),
    path("partners/report/<str:token>/", report_views.partner_report, name="partner_report"),
]
