from django.urls import path

from rewardshub.practices import views, views_settings

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
]
