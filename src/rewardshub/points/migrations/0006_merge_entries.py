from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('points', '0005_pending_rewards_and_gifts'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ledgerentry',
            name='kind',
            field=models.CharField(choices=[('award', 'Award'), ('redeem', 'Redeem'), ('adjust', 'Adjustment'), ('reversal', 'Reversal'), ('expire', 'Expiry'), ('transfer', 'Transfer'), ('auto', 'Automatic'), ('gift_out', 'Gift given'), ('gift_in', 'Gift received'), ('merge_out', 'Merged into another profile'), ('merge_in', 'Merged from another profile')], max_length=10),
        ),
    ]
