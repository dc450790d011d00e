from django.urls import path

from rewardshub.points import views_orders

app_name = "orders"
urlpatterns = [
    path("", views_orders.order_list, name="list"),
    path("<uuid:public_id>/fulfil/", views_orders.order_fulfil, name="fulfil"),
    path("<uuid:public_id>/cancel/", views_orders.order_cancel, name="cancel"),
    path("<uuid:public_id>/receipt/", views_orders.order_receipt, name="receipt"),
    # Ordering for a patient: addressed by the profile's opaque public id.
    path("for/<uuid:public_id>/", views_orders.order_for_patient, name="new"),
    path(
        "for/<uuid:public_id>/<uuid:prize_id>/", views_orders.place_order, name="place"
    ),
]
