import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0002_chart_only_kind'),
    ]

    operations = [
        migrations.AddField(
            model_name='profile',
            name='status',
            field=models.CharField(choices=[('active', 'Active'), ('merged', 'Merged')], default='active', max_length=10),
        ),
        migrations.AddField(
            model_name='profile',
            name='merged_into',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_profiles', to='patients.profile'),
        ),
        migrations.AddField(
            model_name='profile',
            name='merged_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name='profile',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('merged_into__isnull', True), ('status', 'active')), models.Q(('merged_into__isnull', False), ('status', 'merged')), _connector='OR'), name='profile_merged_into_matches_status'),
        ),
    ]
