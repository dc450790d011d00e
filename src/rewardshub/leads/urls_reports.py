from django.urls import path

from rewardshub.leads import views_reports

app_name = "lead_reports"
urlpatterns = [
    path("", views_reports.leads_report, name="index"),
    path("<slug:table>.csv", views_reports.leads_export, name="export"),
]
