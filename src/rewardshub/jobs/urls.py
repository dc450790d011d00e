from django.urls import path

from rewardshub.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<uuid:public_id>/retry/", views.job_retry, name="retry"),
]
