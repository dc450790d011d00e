from django.urls import path

from rewardshub.campaigns import views, views_group

app_name = "campaigns"
# A settings section (owners and admins). Pages are GETs; each change POSTs.
urlpatterns = [
    path("", views.qr_list, name="qr_list"),
    path("qr/add/", views.qr_add, name="qr_add"),
    path("qr/<uuid:public_id>/", views.qr_edit, name="qr_edit"),
    path("qr/<uuid:public_id>/print/", views.qr_print, name="qr_print"),
    path("group/", views_group.group_list, name="group_list"),
    path("group/new/", views_group.group_new, name="group_new"),
    path("group/confirm/", views_group.group_confirm, name="group_confirm"),
    path("group/<uuid:public_id>/", views_group.group_detail, name="group_detail"),
]
