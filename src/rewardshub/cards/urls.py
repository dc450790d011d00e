from django.urls import path

from rewardshub.cards import views, views_batches, views_sheets

app_name = "cards"
urlpatterns = [
    # A patient's card, by the profile's opaque public id (never a card number in a URL).
    path("connect/<uuid:public_id>/", views.connect_view, name="connect"),
    path("replace/<uuid:public_id>/", views.replace_view, name="replace"),
    # Settings > Card batches (owners and admins).
    path("batches/", views_batches.batches, name="batches"),
    path("batches/issue/", views_batches.batch_issue, name="batch_issue"),
    # Reprint a batch's card sheets (no passwords), by the batch's opaque public id.
    path("batches/<uuid:public_id>/sheets/", views_sheets.batch_sheets, name="batch_sheets"),
]
