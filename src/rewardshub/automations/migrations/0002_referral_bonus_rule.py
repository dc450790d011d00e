from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("automations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="autorule",
            name="referral_stage",
            field=models.CharField(
                choices=[
                    ("contacted", "Contacted"),
                    ("consult_booked", "Consult booked"),
                    ("started_treatment", "Started treatment"),
                ],
                default="started_treatment",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="autorule",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("kept", "Appointment kept"),
                    ("on_time", "On time"),
                    ("early", "Early"),
                    ("late", "Late"),
                    ("missed", "Missed appointment"),
                    ("confirmed", "Confirmed appointment"),
                    ("next_booked", "Next visit booked"),
                    ("welcome", "Welcome"),
                    ("birthday", "Birthday"),
                    ("milestone", "Treatment milestone"),
                    ("referral", "Referral bonus"),
                ],
                max_length=20,
            ),
        ),
    ]
