import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("automations", "0002_referral_bonus_rule"),
        ("patients", "0002_chart_only_kind"),
        ("points", "0004_automatic_entries"),
        ("practices", "0004_key_fhir_identifier_system"),
    ]

    operations = [
        migrations.CreateModel(
            name="Lead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("first_name", models.CharField(blank=True, default="", max_length=100)),
                ("last_name", models.CharField(blank=True, default="", max_length=100)),
                ("email", models.EmailField(blank=True, default="", max_length=254)),
                ("phone", models.CharField(blank=True, default="", max_length=32)),
                ("birth_date", models.DateField(blank=True, null=True)),
                ("source", models.CharField(choices=[("referral", "Referral"), ("website", "Website"), ("walk_in", "Walk-in"), ("event", "Event"), ("social", "Social media"), ("other", "Other")], max_length=10)),
                ("status", models.CharField(choices=[("new", "New"), ("contacted", "Contacted"), ("consult_booked", "Consult booked"), ("started_treatment", "Started treatment"), ("lost", "Lost")], default="new", max_length=20)),
                ("notes", models.TextField(blank=True, default="")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("converted_at", models.DateTimeField(blank=True, null=True)),
                ("erased_at", models.DateTimeField(blank=True, null=True)),
                ("bonus_entry", models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="points.ledgerentry")),
                ("converted_profile", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="patients.profile")),
                ("practice", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="practices.practice")),
                ("referred_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="referrals", to="patients.profile")),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["practice", "status"], name="lead_practice_status_idx"),
                    models.Index(fields=["referred_by"], name="lead_referred_by_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(condition=models.Q(("converted_profile__isnull", False)), fields=("converted_profile",), name="lead_converted_once"),
                    models.CheckConstraint(condition=models.Q(("erased_at__isnull", True), ("status", "lost"), _connector="OR"), name="lead_erased_is_lost"),
                ],
            },
        ),
        migrations.CreateModel(
            name="LeadMatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("basis", models.CharField(choices=[("name_birth", "First name, last name and birth date"), ("email", "Email and last name")], max_length=12)),
                ("state", models.CharField(choices=[("proposed", "Waiting for confirmation"), ("confirmed", "Confirmed"), ("dismissed", "Not the same person")], default="proposed", max_length=10)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decided_by", models.CharField(blank=True, default="", max_length=200)),
                ("lead", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="matches", to="leads.lead")),
                ("practice", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="practices.practice")),
                ("profile", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="patients.profile")),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(condition=models.Q(("state", "proposed")), fields=["practice", "profile"], name="leadmatch_proposed_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("lead", "profile"), name="leadmatch_pair_unique"),
                ],
            },
        ),
    ]
