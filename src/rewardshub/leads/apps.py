from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "rewardshub.leads"
    label = "leads"

    def ready(self) -> None:
        from rewardshub.integrations import lead_hooks
        from rewardshub.leads import conversion, queries

        # A chart that syncs from the PMS may be one of the practice's leads.
        lead_hooks.register(
            open_leads=queries.open_leads_exist,
            propose=conversion.propose_matches,
            window_url=queries.window_url,
            panel=queries.match_panel,
        )
