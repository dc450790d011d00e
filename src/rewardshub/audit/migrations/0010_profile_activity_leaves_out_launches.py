# "Recent activity" on the profile shows changes only: PMS launches and opened
# launch links join the reads its partial index leaves out (audit.models
# NOT_ACTIVITY_ACTIONS). The index is recreated with the new condition.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0009_audit_event_mac'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_profile_activity_idx',
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('action__in', ('profile.view', 'pms.status', 'portal.view', 'pms.launch', 'pms.launch_open')), _negated=True), fields=['profile', '-created_at', '-id'], name='audit_profile_activity_idx'),
        ),
    ]
