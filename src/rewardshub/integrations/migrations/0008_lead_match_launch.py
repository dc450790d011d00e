from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0007_sync_health"),
    ]

    operations = [
        migrations.AlterField(
            model_name="launchtoken",
            name="view",
            field=models.CharField(
                choices=[
                    ("profile", "Profile"),
                    ("chart", "Chart tab"),
                    ("synced", "Synced notice"),
                    ("confirm", "Link confirmation"),
                    ("lead_match", "Lead match"),
                ],
                max_length=10,
            ),
        ),
    ]
