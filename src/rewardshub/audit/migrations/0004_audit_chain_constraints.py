# Tamper-evident audit chain, step 3 of 3: every event has a sequence number, unique in its chain.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_audit_chain_build'),
        ('practices', '0002_practice_misc_requires_approval'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(fields=('practice', 'seq'), name='audit_practice_seq_uniq'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(condition=models.Q(('practice__isnull', True)), fields=('seq',), name='audit_nopractice_seq_uniq'),
        ),
    ]
