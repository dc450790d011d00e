from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "rewardshub.patients"
    label = "patients"

    def ready(self) -> None:
        from rewardshub.patients.location_tags import LocationTags
        from rewardshub.practices.keepers import register

        # Practices and locations get their system tags without practices importing patients.
        register("location_tags", LocationTags())
