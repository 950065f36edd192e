"""Aggregates kept by the session log services, read by the dashboard and me/stats."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from routines.models.library import BodyPart


class DailyActivity(models.Model):
    """One member's sessions on one of their local days, summed.

    Written only by ``routines.services`` in the same transaction as the log itself,
    so the dashboard reads a few hundred small rows instead of every log.
    ``manage.py rebuild_member_stats`` recomputes it from the logs.
    """

    user = models.ForeignKey(  # indexed by the (user, local_date) constraint
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="daily_activity",
        db_index=False,
    )
    local_date = models.DateField()
    sessions = models.IntegerField(default=0)
    seconds = models.IntegerField(default=0)
    relief_sum = models.IntegerField(default=0, help_text="Sum of tension before minus after.")
    relief_count = models.IntegerField(default=0, help_text="Sessions with both tensions set.")

    class Meta:
        verbose_name_plural = "daily activity"
        constraints = [
            models.UniqueConstraint(fields=["user", "local_date"], name="dailyactivity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.local_date}: {self.sessions}"


class BodyPartActivity(models.Model):
    """All-time sessions and seconds of one member per body part (of the routine's series)."""

    user = models.ForeignKey(  # indexed by the (user, body_part) constraint
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="body_part_activity",
        db_index=False,
    )
    body_part = models.ForeignKey(BodyPart, on_delete=models.CASCADE, related_name="+")
    sessions = models.IntegerField(default=0)
    seconds = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "body part activity"
        constraints = [
            models.UniqueConstraint(fields=["user", "body_part"], name="bodypartactivity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.body_part_id}: {self.sessions}"


class MemberStatsSnapshot(models.Model):
    """The member's computed stats for one local day, a cache kept in the database.

    Every write to the member's logs, rest days or plan clears ``data`` and bumps
    ``generation`` in its own transaction; a reader stores fresh figures only if the
    generation it saw before computing is still current, so a slow reader never
    stores figures older than a concurrent write.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stats_snapshot",
    )
    generation = models.BigIntegerField(default=0)
    computed_for = models.DateField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    data = models.JSONField(null=True, blank=True, help_text="The figures, without the calendar.")
    calendar = models.JSONField(
        null=True, blank=True, help_text="Per day of the last 12 months: minutes, sessions, rest."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Stats of {self.user_id} for {self.computed_for}"
