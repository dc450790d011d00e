from django.urls import path

from rewardshub.portal import views, views_language, views_orders, views_reset, views_staff

app_name = "portal"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("welcome/", views.activate_view, name="activate"),
    path("logout/", views.logout_view, name="logout"),
    path("history/", views.history_view, name="history"),
    path("prizes/", views.store_view, name="store"),
    path("prizes/<uuid:public_id>/order/", views_orders.order_view, name="order"),
    path("orders/", views_orders.orders_view, name="orders"),
    path("language/", views_language.language_view, name="language"),
    path("orders/<uuid:public_id>/cancel/", views_orders.cancel_view, name="cancel_order"),
    path("password/forgot/", views_reset.reset_request_view, name="reset_request"),
    path("password/reset/<str:token>/", views_reset.reset_confirm_view, name="reset_confirm"),
    # Staff: a new temporary password from the patient's profile.
    path(
        "staff/<uuid:public_id>/temp-password/",
        views_staff.new_temp_password,
        name="staff_new_temp_password",
    ),
]
