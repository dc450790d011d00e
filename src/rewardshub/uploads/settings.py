"""Where uploads are kept (settings.STORAGES["default"]), read from the environment.

Default: the database (storage.DatabaseStorage). With REWARDSHUB_S3_BUCKET
set: an S3-compatible bucket through django-storages (`pip install
'rewardshub[s3]'`), private, with files never overwritten; the picture views
still serve them, so who may see a file is decided by the hub, not a URL.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from rewardshub.env import env_str

DATABASE = "rewardshub.uploads.storage.DatabaseStorage"
S3 = "storages.backends.s3.S3Storage"


def file_storage() -> dict[str, Any]:
    bucket = env_str("REWARDSHUB_S3_BUCKET", "")
    if not bucket:
        return {"BACKEND": DATABASE}
    if importlib.util.find_spec("storages") is None or importlib.util.find_spec("boto3") is None:
        raise ImproperlyConfigured(
            "REWARDSHUB_S3_BUCKET is set but django-storages with S3 support is not installed. "
            "Install it with `pip install 'rewardshub[s3]'`, or unset REWARDSHUB_S3_BUCKET to "
            "keep uploads in the database."
        )
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": env_str("REWARDSHUB_S3_PREFIX", "uploads"),
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
    }
    for option, variable in (
        ("endpoint_url", "REWARDSHUB_S3_ENDPOINT_URL"),
        ("region_name", "REWARDSHUB_S3_REGION"),
        ("access_key", "REWARDSHUB_S3_ACCESS_KEY_ID"),
        ("secret_key", "REWARDSHUB_S3_SECRET_ACCESS_KEY"),
    ):
        value = env_str(variable, "")
        if value:
            options[option] = value
    return {"BACKEND": S3, "OPTIONS": options}
