from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "rewardshub.practices"
    label = "practices"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created

        from rewardshub.files import tighten_sqlite_files
        from rewardshub.practices.idle import start_clock

        connection_created.connect(tighten_sqlite_files, dispatch_uid="rewardshub-private-sqlite")
        # Stamped in the sign-in's own session save, not by the next request.
        user_logged_in.connect(start_clock, dispatch_uid="rewardshub-idle-start-clock")
