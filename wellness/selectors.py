"""Reads used by site-wide pages: service health for ``/healthz``."""

from __future__ import annotations

from typing import Any

from django.db import connection

from wellness.celery import app
from wellness.models import Heartbeat


def database_health() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the reason is reported
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def broker_health() -> dict[str, Any]:
    """Can this process reach the Celery broker now? (One connection attempt, 2 s at most.)"""
    transport = str(app.conf.broker_url or "").split("://", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
            # Redis connects lazily: ask it something so a dead server shows as down.
            if transport.startswith("redis") or transport.startswith("rediss"):
                conn.default_channel.client.ping()
    except Exception as exc:
        return {"ok": False, "transport": transport, "error": exc.__class__.__name__}
    return {"ok": True, "transport": transport}


def last_heartbeat() -> str | None:
    try:
        beat = Heartbeat.objects.filter(name="celery").only("last_beat_at").first()
    except Exception:
        return None
    return beat.last_beat_at.isoformat() if beat else None


def site_health() -> dict[str, Any]:
    database = database_health()
    broker = broker_health()
    return {
        "ok": database["ok"] and broker["ok"],
        "database": database,
        "broker": broker,
        "last_heartbeat": last_heartbeat() if database["ok"] else None,
    }
