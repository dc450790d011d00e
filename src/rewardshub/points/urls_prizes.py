from django.urls import path

from rewardshub.points import views_prizes

app_name = "prizes"
# The catalog is a settings section (owners and admins); the picture is also
# read by the patient portal.
urlpatterns = [
    path("", views_prizes.prize_list, name="list"),
    path("add/", views_prizes.prize_add, name="add"),
    path("<uuid:public_id>/", views_prizes.prize_edit, name="edit"),
    path("<uuid:public_id>/picture", views_prizes.prize_picture, name="picture"),
]
