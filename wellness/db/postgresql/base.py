"""Django's PostgreSQL backend, with the health check skipped for a connection that
has just proven itself.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every
request that reuses a connection, so a connection the server dropped while idle is
replaced instead of failing the request. Under load that check is a round trip on
every request (on this project's busiest write, a tenth of the CPU) to test a
connection that answered a moment ago. As HikariCP does by default
(``aliveBypassWindowMs``, 500 ms), the check is skipped when the connection finished
a request without a database error less than ``HEALTH_CHECK_WINDOW`` seconds ago
(``DATABASES[...]["HEALTH_CHECK_WINDOW"]``, default 0.5; 0 checks every request).
An idle connection is still checked, and a database error still makes Django test
the connection at the end of the request and drop it if it is broken.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql import base

DEFAULT_HEALTH_CHECK_WINDOW = 0.5


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.health_check_window = float(
            self.settings_dict.get("HEALTH_CHECK_WINDOW", DEFAULT_HEALTH_CHECK_WINDOW)
        )
        self.proven_at: float | None = None  # when it last served a request cleanly

    def connect(self) -> None:
        super().connect()
        self.proven_at = None

    def close_if_unusable_or_obsolete(self) -> None:
        # Runs when a request starts and when it finishes. ``health_check_done`` means
        # the connection was used since the last call (a new connection, a check, or
        # a skipped check followed by queries); without errors, it has just worked.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.proven_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.proven_at is not None
            and time.monotonic() - self.proven_at < self.health_check_window
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
