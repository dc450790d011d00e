from django.apps import AppConfig


class MergesConfig(AppConfig):
    name = "rewardshub.merges"
    label = "merges"
