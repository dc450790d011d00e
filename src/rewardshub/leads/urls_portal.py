from django.urls import path

from rewardshub.leads import views_portal

app_name = "portal_referrals"
urlpatterns = [
    path("", views_portal.refer, name="refer"),
]
