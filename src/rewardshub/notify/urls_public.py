from django.urls import path

from rewardshub.notify import views_public

app_name = "notify_public"
urlpatterns = [
    path("unsubscribe/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/undo/", views_public.resubscribe, name="resubscribe"),
]
