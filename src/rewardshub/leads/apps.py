from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "rewardshub.leads"
    label = "leads"

    def ready(self) -> None:
        from rewardshub.integrations import lead_hooks
        from rewardshub.leads import bonus, conversion, queries
        from rewardshub.points.rewards import reward_decided

        # A chart that syncs from the PMS may be one of the practice's leads.
        lead_hooks.register(
            open_leads=queries.open_leads_exist,
            propose=conversion.propose_matches,
            window_url=queries.window_url,
            panel=queries.match_panel,
        )
        # A referral bonus held in Pending rewards is paid (or not) when staff decide.
        reward_decided.connect(bonus.bonus_decided, dispatch_uid="leads.referral_bonus")
