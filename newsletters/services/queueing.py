"""Queueing a task without ever failing the caller because the broker is down.

Redis may be unreachable: a web request (a sign-up, "send" pressed, a series published)
must still answer, and what could not be queued is found again from the database by the
minute sweep (``campaigns_tick``) once the broker is back.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def task_enqueue(*, task: Any, args: tuple[Any, ...] = ()) -> bool:
    """``task.apply_async(args)`` without publish retries; False when the broker refused."""
    try:
        task.apply_async(args=args, retry=False)
    except (OperationalError, ConnectionError, OSError) as exc:
        logger.warning(
            "Could not queue %s%r (%s); the newsletters sweep will pick it up", task.name, args, exc
        )
        return False
    return True
