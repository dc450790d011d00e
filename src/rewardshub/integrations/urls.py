from django.urls import path, re_path

from rewardshub.integrations import api, views, views_confirm, views_launch, views_settings

app_name = "integrations"
urlpatterns = [
    path("launch/<str:token>", views_launch.launch, name="launch"),
    # Not under launch/: that prefix passes the idle check (it starts a new session).
    path("launch-choice/", views_launch.launch_choice, name="launch_choice"),
    path("launch-choice/answer/", views_launch.launch_answer, name="launch_answer"),
    path("synced/", views.synced, name="synced"),
    path("chart/<uuid:public_id>/", views.chart, name="chart"),
    path(
        "link-confirmations/<uuid:public_id>/",
        views_confirm.confirm_page,
        name="confirm_link",
    ),
    path(
        "link-confirmations/<uuid:public_id>/link/",
        views_confirm.confirm,
        name="confirm_link_post",
    ),
    path(
        "link-confirmations/<uuid:public_id>/cancel/",
        views_confirm.cancel,
        name="cancel_link",
    ),
    path("settings/integrations/keys/", views_settings.keys, name="keys"),
    path(
        "settings/integrations/keys/<uuid:public_id>/revoke/",
        views_settings.revoke_key,
        name="revoke_key",
    ),
    path(
        "settings/integrations/keys/sync-health/",
        views_settings.sync_watch,
        name="sync_watch",
    ),
    path(
        "settings/integrations/keys/<uuid:public_id>/fhir-identifier-system/",
        views_settings.key_identifier_system,
        name="key_identifier_system",
    ),
    path("settings/integrations/tag-mapping/", views_settings.tag_rules, name="tag_rules"),
    path(
        "settings/integrations/tag-mapping/<uuid:public_id>/delete/",
        views_settings.delete_tag_rule,
        name="delete_tag_rule",
    ),
    path("settings/integrations/chart-tab/", views_settings.chart_tab, name="settings"),
    path("settings/integrations/sync-log/", views_settings.sync_log, name="sync_log"),
    # Whatever /api/v1/ (mounted before this file in rewardshub/urls.py) does not
    # match: a JSON 404 like every other API answer, not the staff HTML page.
    re_path(r"^api/(?P<rest>.*)$", api.api_not_found, name="api_not_found"),
]
