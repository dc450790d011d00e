from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    name = "rewardshub.automations"
    label = "automations"

    def ready(self) -> None:
        from rewardshub.automations import receivers  # noqa: F401  (connects the signals)
