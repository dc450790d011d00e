from django.urls import path

from rewardshub.patients import views_tags

# Settings > Tag groups (owners and admins), under settings/ beside the practice's
# other settings pages; included from the root URLconf without a namespace.
urlpatterns = [
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
