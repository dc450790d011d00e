"""The profile kind a batch sync gives a chart with no card yet is "chart only"
(value "chart"), no longer "lead": leads are prospective patients now."""

from typing import Any

from django.db import migrations, models


def lead_to_chart(apps: Any, schema_editor: Any) -> None:
    Profile = apps.get_model("patients", "Profile")
    Profile.objects.filter(kind="lead").update(kind="chart")


def chart_to_lead(apps: Any, schema_editor: Any) -> None:
    Profile = apps.get_model("patients", "Profile")
    Profile.objects.filter(kind="chart").update(kind="lead")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="profile",
            name="kind",
            field=models.CharField(
                choices=[("member", "Member"), ("chart", "Chart only")],
                default="member",
                max_length=10,
            ),
        ),
        migrations.RunPython(lead_to_chart, chart_to_lead),
    ]
