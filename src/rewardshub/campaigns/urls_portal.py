from django.urls import path

from rewardshub.campaigns import views_portal

app_name = "collect"
# What a printed QR code holds; the token is the code's only name.
urlpatterns = [
    path("<str:token>/", views_portal.collect_view, name="collect"),
]
