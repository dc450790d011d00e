from django.urls import path

from rewardshub.points import views_reports

app_name = "reports"
urlpatterns = [
    path("", views_reports.report_index, name="index"),
    path("<slug:table>.csv", views_reports.report_export, name="export"),
]
