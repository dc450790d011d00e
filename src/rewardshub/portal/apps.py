from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rewardshub.portal"
    label = "portal"
