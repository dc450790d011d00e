from django.urls import path

from rewardshub.practices import views, views_settings, views_tags

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("practice/switch/", views.switch_view, name="switch_practice"),
    # Settings (owners and admins). Pages are GETs; each change POSTs to its own address.
    path("settings/", views_settings.practice_settings, name="practice_settings"),
    path("settings/locations/", views_settings.settings_locations, name="settings_locations"),
    path("settings/locations/add/", views_settings.location_add, name="settings_location_add"),
    path(
        "settings/locations/<uuid:public_id>/rename/",
        views_settings.location_rename,
        name="settings_location_rename",
    ),
    path(
        "settings/locations/<uuid:public_id>/active/",
        views_settings.location_active,
        name="settings_location_active",
    ),
    path("settings/staff/", views_settings.settings_staff, name="settings_staff"),
    path("settings/staff/add/", views_settings.staff_add, name="settings_staff_add"),
    path(
        "settings/staff/<uuid:public_id>/role/",
        views_settings.staff_role,
        name="settings_staff_role",
    ),
    path(
        "settings/staff/<uuid:public_id>/remove/",
        views_settings.staff_remove,
        name="settings_staff_remove",
    ),
    path("settings/tags/", views_tags.settings_tags, name="settings_tags"),
    path("settings/tags/groups/add/", views_tags.group_add, name="settings_group_add"),
    path(
        "settings/tags/groups/<uuid:public_id>/rename/",
        views_tags.group_rename,
        name="settings_group_rename",
    ),
    path(
        "settings/tags/groups/<uuid:public_id>/delete/",
        views_tags.group_delete,
        name="settings_group_delete",
    ),
    path(
        "settings/tags/groups/<uuid:public_id>/add/",
        views_tags.tag_add,
        name="settings_tag_add",
    ),
    path(
        "settings/tags/<uuid:public_id>/rename/", views_tags.tag_rename, name="settings_tag_rename"
    ),
    path(
        "settings/tags/<uuid:public_id>/delete/", views_tags.tag_delete, name="settings_tag_delete"
    ),
]
