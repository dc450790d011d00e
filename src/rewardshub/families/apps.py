from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    name = "rewardshub.families"
    label = "families"

    def ready(self) -> None:
        from rewardshub.families import mail, session
        from rewardshub.jobs import registry
        from rewardshub.portal.session import register_delegates

        # The portal's pages, for a signed-in guardian acting for a child.
        register_delegates(resolve=session.acting_user, landing=session.landing)
        registry.register(mail.INVITATION_JOB, "Mail: Parent or guardian invitation", mail.send)
