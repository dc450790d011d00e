from django.apps import AppConfig


class ContestsConfig(AppConfig):
    name = "rewardshub.contests"
    label = "contests"
