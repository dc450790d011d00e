from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    name = "rewardshub.automations"
    label = "automations"

    def ready(self) -> None:
        from rewardshub.automations import queries, receivers  # noqa: F401  (connects the signals)
        from rewardshub.patients import pms_hooks

        # The profile page and the PMS chart tab show the appointments and their points.
        pms_hooks.register_appointments(queries.appointments_panel)
