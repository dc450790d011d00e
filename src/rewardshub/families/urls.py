from django.urls import path

from rewardshub.families import views_staff

app_name = "families"
# Under /patients/: a patient's Family page and the links' buttons (public ids only).
urlpatterns = [
    path("<uuid:public_id>/family/", views_staff.family_view, name="family"),
    path("<uuid:public_id>/family/invite/", views_staff.invite_view, name="invite"),
    path("family-links/<uuid:public_id>/confirm/", views_staff.confirm_view, name="confirm"),
    path("family-links/<uuid:public_id>/remove/", views_staff.remove_view, name="remove"),
]
