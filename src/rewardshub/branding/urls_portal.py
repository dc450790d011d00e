from django.urls import path

from rewardshub.branding import views_portal

app_name = "portal_brand"
urlpatterns = [
    path("brand.css", views_portal.brand_css, name="css"),
    path("logo", views_portal.logo, name="logo"),
]
