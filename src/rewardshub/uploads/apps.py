from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "rewardshub.uploads"
    label = "uploads"
