"""Uploaded files (prize pictures, practice logos) kept where every host sees them.

By default in the database (`StoredFile`, through `storage.DatabaseStorage`),
so backups hold them and no app host keeps state of its own; in S3-compatible
object storage through django-storages when REWARDSHUB_S3_BUCKET is set
(settings.py). `rewardshub files import-disk` moves files an older version
kept under MEDIA_ROOT into the database.
"""
