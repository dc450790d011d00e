from django.urls import path

from rewardshub.automations import views_reports

app_name = "auto_reports"
urlpatterns = [
    path("rules/", views_reports.rules_report, name="rules"),
    path("rules.csv", views_reports.rules_export, name="rules_export"),
    path("visits/", views_reports.visits_report, name="visits"),
    path("visits.csv", views_reports.visits_export, name="visits_export"),
]
