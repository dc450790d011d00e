from django.urls import path

from rewardshub.points import views, views_menu, views_rewards

app_name = "points"
urlpatterns = [
    # Settings > Reward menu (owners and admins).
    path("settings/reward-menu/", views_menu.menu, name="menu"),
    path("settings/reward-menu/categories/add/", views_menu.category_add, name="category_add"),
    path(
        "settings/reward-menu/categories/<uuid:public_id>/",
        views_menu.category_edit,
        name="category_edit",
    ),
    path("settings/reward-menu/items/add/", views_menu.item_add, name="item_add"),
    path("settings/reward-menu/items/<uuid:public_id>/", views_menu.item_edit, name="item_edit"),
    # Awarding, from the profile page and the PMS chart tab (both post here).
    path("patients/<uuid:public_id>/points/award/", views.award, name="award"),
    path("patients/<uuid:public_id>/points/misc/", views.misc, name="misc"),
    path("points/entries/<uuid:public_id>/reverse/", views.reverse, name="reverse"),
    path("patients/<uuid:public_id>/points/gift/", views_rewards.gift, name="gift"),
    # Pending rewards: what waits for an owner or admin, and which kinds wait.
    path("points/pending/", views_rewards.pending, name="pending"),
    path("points/pending/<uuid:public_id>/", views_rewards.decide, name="decide"),
    path("settings/reward-rules/", views_rewards.reward_rules, name="reward_rules"),
]
