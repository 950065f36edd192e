from django.db.models import F
from django.utils import timezone

from wellness.models import Heartbeat


def heartbeat_record(*, name: str = "celery") -> Heartbeat:
    """Record that a periodic task ran now (an upsert, safe under concurrent workers)."""
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(last_beat_at=now, beats=F("beats") + 1)
    if not updated:
        Heartbeat.objects.get_or_create(name=name, defaults={"last_beat_at": now, "beats": 1})
    return Heartbeat.objects.get(name=name)
