from django.urls import path

from rewardshub.automations import views

app_name = "automations"
urlpatterns = [
    # The page is a GET; each rule and the exclusions POST to their own address.
    path("settings/automatic-points/", views.automatic_points, name="settings"),
    path("settings/automatic-points/exclusions/", views.exclusions, name="exclusions"),
    path("settings/automatic-points/<slug:trigger>/", views.rule, name="rule"),
]
