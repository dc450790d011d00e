from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "rewardshub.jobs"
    label = "jobs"
