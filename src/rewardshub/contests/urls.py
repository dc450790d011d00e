from django.urls import path

from rewardshub.contests import views

app_name = "contests"
urlpatterns = [
    path("", views.contest_list, name="list"),
    path("add/", views.contest_add, name="add"),
    path("<uuid:public_id>/", views.contest_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.contest_edit, name="edit"),
    path("<uuid:public_id>/enter/", views.contest_enter, name="enter"),
    path(
        "<uuid:public_id>/entries/<uuid:entry_id>/winner/",
        views.contest_winner,
        name="winner",
    ),
]
