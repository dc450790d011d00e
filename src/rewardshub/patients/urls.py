from django.urls import path

from rewardshub.patients import views

app_name = "patients"
# Profiles are addressed by their opaque public id only: never a name, a
# username or a card number in a URL (searches post).
urlpatterns = [
    path("", views.list_view, name="list"),
    path("search/", views.search_view, name="search"),
    path("add/", views.add_view, name="add"),
    path("missing-tags/", views.missing_tags_view, name="missing_tags"),
    path("<uuid:public_id>/", views.detail_view, name="detail"),
    path("<uuid:public_id>/edit/", views.edit_view, name="edit"),
    path("<uuid:public_id>/tags/", views.tags_view, name="tags"),
]
