from django.urls import path

from rewardshub.families import views_portal, views_reset

app_name = "portal_family"
# Under /portal/family/: the guardian's sign-in, invitation link, forgotten password
# and child switcher.
urlpatterns = [
    path("", views_portal.choose_view, name="choose"),
    path("login/", views_portal.login_view, name="login"),
    path("switch/", views_portal.switch_view, name="switch"),
    path("welcome/<str:token>/", views_portal.welcome_view, name="welcome"),
    path("forgot/", views_reset.forgot_view, name="forgot"),
    path("reset/<str:token>/", views_reset.reset_view, name="reset"),
]
