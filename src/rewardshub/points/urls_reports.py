from django.urls import path

from rewardshub.points import views_dashboard, views_reports

app_name = "reports"
urlpatterns = [
    path("", views_reports.report_index, name="index"),
    path("dashboard/", views_dashboard.dashboard_page, name="dashboard"),
    path("<slug:table>.csv", views_reports.report_export, name="export"),
]
