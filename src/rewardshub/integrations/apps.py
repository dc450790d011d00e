from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "rewardshub.integrations"
    label = "integrations"

    def ready(self) -> None:
        # The API's paths carry PMS chart ids: no log record of this process may.
        from rewardshub.observability import install_log_redaction

        install_log_redaction()
