"""The Celery application: configured from Django settings (``CELERY_*``), tasks autodiscovered."""

import contextlib
import os
import sys
from pathlib import Path

from celery import Celery, signals

from wellness.config import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellness.settings")

if os.environ["DJANGO_SETTINGS_MODULE"] not in sys.modules:
    # Started as `celery -A wellness ...`: read the settings now, so a configuration
    # mistake is one clear line instead of a traceback from deep inside Celery.
    # (When Django itself is importing the settings module, it reports errors itself.)
    from django.conf import settings

    with exit_on_config_error():
        settings.INSTALLED_APPS  # noqa: B018

app = Celery("wellness")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def worker_priority_lower(**_: object) -> None:
    """Run this worker below the web processes on a shared machine: at
    ``BULK_WORKER_NICENESS`` when it serves only the ``bulk`` queue (campaigns), else at
    ``WORKER_NICENESS`` (reminders: due at a member's chosen minute).

    Mail can wait seconds; a member's page cannot. Linux keeps a nice value per thread and
    a new thread or forked child takes its creator's, so every thread there is now is set
    (the pool's threads and processes start after this signal and inherit it). With
    autogroups on (``/proc/sys/kernel/sched_autogroup_enabled``), nice values only rank
    threads of one session, and each session shares the CPU as one: a worker leading its
    own session (started with ``setsid``, as supervisors do) lowers its group's nice too, or
    it would still take as much CPU as gunicorn. Never raises a priority: a worker started
    under ``nice -n 15`` stays at 15.
    """
    from django.conf import settings

    queues = set(app.amqp.queues.consume_from)  # what -Q selected (every queue without it)
    only_bulk = bool(queues) and queues <= {"bulk"}
    niceness = settings.BULK_WORKER_NICENESS if only_bulk else settings.WORKER_NICENESS
    tasks = Path("/proc/self/task")
    for tid in [int(t) for t in os.listdir(tasks)] if tasks.is_dir() else [0]:
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            if os.getpriority(os.PRIO_PROCESS, tid) < niceness:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
    if os.getsid(0) == os.getpid():
        autogroup_lower(niceness)


def autogroup_lower(niceness: int, path: Path = Path("/proc/self/autogroup")) -> None:
    """Lower this session's autogroup to ``niceness`` (Linux; nothing elsewhere)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        current = int(path.read_text().split("nice")[1])
        if current < niceness:
            path.write_text(str(niceness))
