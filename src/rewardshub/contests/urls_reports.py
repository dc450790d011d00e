from django.urls import path

from rewardshub.contests import views_reports

app_name = "contest_reports"
urlpatterns = [
    path("", views_reports.awards_report, name="awards"),
    path("awards.csv", views_reports.awards_export, name="awards_export"),
]
