from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "rewardshub.cards"
    label = "cards"
