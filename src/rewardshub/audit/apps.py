from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "rewardshub.audit"
    label = "audit"
