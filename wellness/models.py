from django.db import models


class Heartbeat(models.Model):
    """Touched by the periodic ``heartbeat`` task: proof that beat -> broker -> worker runs."""

    name = models.CharField(max_length=40, unique=True, default="celery")
    last_beat_at = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_beat_at:%Y-%m-%d %H:%M:%S}"
