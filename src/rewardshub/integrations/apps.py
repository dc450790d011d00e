from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "rewardshub.integrations"
    label = "integrations"
