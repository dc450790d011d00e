from django.urls import path

from rewardshub.practices import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("practice/switch/", views.switch_view, name="switch_practice"),
]
