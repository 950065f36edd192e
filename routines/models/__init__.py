"""Routines' models, by topic: ``library`` (body parts, series, routines, steps, the audit
log), ``logs`` (what members did and chose), ``activity`` (the aggregates)."""

from routines.models.activity import BodyPartActivity, DailyActivity, MemberStatsSnapshot
from routines.models.library import AuditEntry, BodyPart, Routine, Series, SeriesQuerySet, Step
from routines.models.logs import (
    NOTES_MAX_LENGTH,
    NOTHING_DONE_MESSAGE,
    SESSION_CLOCK_SKEW,
    SESSION_EARLIEST,
    SESSION_MAX_SECONDS,
    SESSION_TOO_EARLY_MESSAGE,
    Favourite,
    PracticePlan,
    RestDay,
    SafetyAcknowledgement,
    SessionLog,
)

__all__ = [
    "NOTES_MAX_LENGTH",
    "NOTHING_DONE_MESSAGE",
    "SESSION_CLOCK_SKEW",
    "SESSION_EARLIEST",
    "SESSION_MAX_SECONDS",
    "SESSION_TOO_EARLY_MESSAGE",
    "AuditEntry",
    "BodyPart",
    "BodyPartActivity",
    "DailyActivity",
    "Favourite",
    "MemberStatsSnapshot",
    "PracticePlan",
    "RestDay",
    "Routine",
    "SafetyAcknowledgement",
    "Series",
    "SeriesQuerySet",
    "SessionLog",
    "Step",
]
