from django.urls import path

from rewardshub.leads import views, views_convert, views_matches

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("add/", views.lead_add, name="add"),
    path("referrals/", views.leaderboard, name="leaderboard"),
    path("<uuid:public_id>/", views.lead_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.lead_edit, name="edit"),
    path("<uuid:public_id>/status/", views.lead_status, name="status"),
    path("<uuid:public_id>/erase/", views.lead_erase, name="erase"),
    # Staff convert a lead by hand: find the patient, pick, confirm.
    path("<uuid:public_id>/convert/find/", views_convert.convert_find, name="convert_find"),
    path("<uuid:public_id>/convert/", views_convert.convert, name="convert"),
    # The window set card opens when the synced patient may be a lead.
    path("synced/<uuid:public_id>/", views_matches.window, name="window"),
    path("matches/<uuid:public_id>/confirm/", views_matches.confirm, name="match_confirm"),
    path("matches/<uuid:public_id>/dismiss/", views_matches.dismiss, name="match_dismiss"),
]
