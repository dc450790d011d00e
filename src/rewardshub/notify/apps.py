from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "rewardshub.notify"
    label = "notify"

    def ready(self) -> None:
        from rewardshub.jobs import registry
        from rewardshub.notify.kinds import KINDS
        from rewardshub.notify.send import HANDLERS

        # One background job per kind of mail (jobs.registry): the worker runs them.
        for kind, run in HANDLERS.items():
            registry.register(KINDS[kind].job_kind, f"Mail: {KINDS[kind].label}", run)
