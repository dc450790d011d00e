from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "rewardshub.patients"
    label = "patients"
