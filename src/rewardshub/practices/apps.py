from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "rewardshub.practices"
    label = "practices"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from rewardshub.practices.idle import start_clock

        # Stamped in the sign-in's own session save, not by the next request.
        user_logged_in.connect(start_clock, dispatch_uid="rewardshub-idle-start-clock")
