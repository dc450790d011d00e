import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
        ("points", "0006_merge_entries"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="bonus_pending",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="points.pendingaward",
            ),
        ),
    ]
