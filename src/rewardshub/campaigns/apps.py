from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "rewardshub.campaigns"
    label = "campaigns"
