from django.urls import path

from rewardshub.notify import views_staff

app_name = "notify"
urlpatterns = [
    path("settings/mail/", views_staff.preview_list, name="preview"),
    path("settings/mail/<slug:kind>/html/", views_staff.preview_html, name="preview_html"),
    path(
        "orders/<uuid:public_id>/ready/", views_staff.ready_for_pickup, name="ready_for_pickup"
    ),
]
