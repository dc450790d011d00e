from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "rewardshub.practices"
    label = "practices"
