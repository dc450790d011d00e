from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "rewardshub.points"
    label = "points"
