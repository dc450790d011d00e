"""An uploaded file kept in the database, addressed by its storage name."""

from __future__ import annotations

from django.db import models


class StoredFile(models.Model):
    # The name the storage gave it (e.g. "prizes/<uuid>.jpg"): a new upload
    # always gets a new name, so a name's content never changes.
    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(name__gt=""), name="stored_file_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name
