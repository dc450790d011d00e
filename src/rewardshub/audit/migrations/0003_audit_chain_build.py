# Tamper-evident audit chain, step 2 of 3: chain the events written before it, in id order.

from django.db import migrations

BATCH = 1000


def build_chains(apps, schema_editor):
    from rewardshub.audit.chain import chain_key, event_hash

    AuditEvent = apps.get_model('audit', 'AuditEvent')
    AuditChainHead = apps.get_model('audit', 'AuditChainHead')
    db = schema_editor.connection.alias
    heads = {}
    pending = []
    for event in AuditEvent.objects.using(db).order_by('id').iterator(chunk_size=BATCH):
        key = chain_key(event.practice_id)
        seq, prev = heads.get(key, (0, ''))
        event.seq = seq + 1
        event.prev_hash = prev
        event.hash = event_hash(prev, event)
        heads[key] = (event.seq, event.hash)
        pending.append(event)
        if len(pending) >= BATCH:
            AuditEvent.objects.using(db).bulk_update(pending, ['seq', 'prev_hash', 'hash'])
            pending = []
    if pending:
        AuditEvent.objects.using(db).bulk_update(pending, ['seq', 'prev_hash', 'hash'])
    AuditChainHead.objects.using(db).bulk_create(
        [AuditChainHead(chain=k, last_seq=s, last_hash=h) for k, (s, h) in heads.items()]
    )


def unbuild_chains(apps, schema_editor):
    apps.get_model('audit', 'AuditChainHead').objects.using(schema_editor.connection.alias).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_audit_chain_fields'),
    ]

    operations = [
        migrations.RunPython(build_chains, unbuild_chains),
    ]
