from django.urls import path

from rewardshub.campaigns import views_reports

app_name = "campaign_reports"
urlpatterns = [
    path("", views_reports.campaigns_report, name="index"),
    path("<slug:table>.csv", views_reports.campaigns_export, name="export"),
]
