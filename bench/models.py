"""The bench's own table, for the write floor: never part of the product's apps.

``bench`` is an installed app only in ``bench.members_settings``; it has no migrations,
so ``migrate`` leaves it alone and ``bench/members.py`` creates the table itself.
"""

from django.db import models


class FloorWrite(models.Model):
    """One row per ``POST /bench/floor/write``: the cheapest useful ORM insert."""

    user_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        managed = False
        db_table = "bench_floor_write"

    def __str__(self) -> str:
        return f"floor write {self.pk} by {self.user_id}"
