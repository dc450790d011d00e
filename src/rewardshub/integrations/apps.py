from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "rewardshub.integrations"
    label = "integrations"

    def ready(self) -> None:
        # The API's paths carry PMS chart ids: no log record of this process may.
        from rewardshub.automations import pms_hooks as automation_hooks
        from rewardshub.integrations import queries
        from rewardshub.integrations.framing import allow_framing
        from rewardshub.integrations.link_status import charts_in_status
        from rewardshub.observability import install_log_redaction
        from rewardshub.patients import pms_hooks
        from rewardshub.practices.idle import register_launched_framing

        install_log_redaction()
        # A launched session's "signed out" page shows inside the PMS's chart tab.
        register_launched_framing(allow_framing)
        # The staff profile pages show the PMS's charts, tags and overwritten fields.
        pms_hooks.register(
            set_by_pms=queries.set_by_pms,
            chart_links=queries.chart_links,
            overwrites=queries.pms_overwrites,
        )
        # A treatment milestone paid late finds the charts in the practice's milestone status.
        automation_hooks.register(charts_in_status=charts_in_status)
