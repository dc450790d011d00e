from django.urls import path

from rewardshub.merges import views

app_name = "merges"
# Under patients/; profiles by their public ids only.
urlpatterns = [
    path("duplicates/", views.duplicates, name="duplicates"),
    path(
        "merge/<uuid:survivor_profile>/<uuid:merged_profile>/",
        views.review,
        name="review",
    ),
    path(
        "merge/<uuid:survivor_profile>/<uuid:merged_profile>/confirm/",
        views.confirm,
        name="confirm",
    ),
]
