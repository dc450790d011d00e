from django.urls import path

from rewardshub.notify import views_portal

app_name = "portal_mail"
urlpatterns = [
    path("", views_portal.preferences, name="preferences"),
]
