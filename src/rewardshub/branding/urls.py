from django.urls import path

from rewardshub.branding import views

app_name = "branding"
urlpatterns = [
    path("", views.branding_settings, name="settings"),
    path("logo", views.staff_logo, name="logo"),
]
