"""The SMTP sink of bench/mixed.py: its own process, counting every message by what it is.

Reminders are counted by ``X-Kneadful-Reminder`` (the ledger id, with the time the first
copy arrived), campaign emails by (``X-Kneadful-Campaign``, envelope recipient). On
"outage" it answers every DATA with 451 (a temporary failure: nothing is accepted) until
"restore". Commands and answers go through a multiprocessing pipe.

The sink stands for a mail provider, which in production runs on other machines: it runs
in its own session below the product (nice and autogroup ``SINK_NICENESS``), so what it
costs here is not taken from gunicorn. Mail throughput still includes it.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

SINK_NICENESS = 10


def sink_main(port: int, control) -> None:  # type: ignore[no-untyped-def]
    os.setsid()  # its own autogroup, where the kernel has them
    os.nice(SINK_NICENESS)
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(SINK_NICENESS))
    from collections import Counter

    from aiosmtpd.controller import Controller

    reminders: dict[bytes, list[float]] = {}  # id -> [first arrival (epoch s), copies]
    campaigns: Counter[tuple[bytes, str]] = Counter()
    state = {"outage": False, "refused": 0, "other": 0}
    reminder_marker = b"X-Kneadful-Reminder: "
    campaign_marker = b"X-Kneadful-Campaign: "

    def header(content: bytes, marker: bytes) -> bytes | None:
        start = content.find(marker)
        if start < 0:
            return None
        start += len(marker)
        return content[start : content.find(b"\r\n", start)]

    class Count:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            if state["outage"]:
                state["refused"] += 1
                return "451 4.3.0 Mail server temporarily unavailable, try again later"
            content = envelope.content
            reminder = header(content, reminder_marker)
            if reminder is not None:
                seen = reminders.setdefault(reminder, [time.time(), 0])
                seen[1] += 1
                return "250 OK"
            campaign = header(content, campaign_marker)
            if campaign is not None:
                campaigns[(campaign, envelope.rcpt_tos[0])] += 1
            else:
                state["other"] += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    while True:
        command = control.recv()
        if command == "outage":
            state["outage"] = True
            control.send("ok")
        elif command == "restore":
            state["outage"] = False
            control.send("ok")
        elif command == "counts":  # cheap: polled while the run goes on
            control.send(
                {
                    "reminders": len(reminders),
                    "campaign": len(campaigns),
                    "refused": state["refused"],
                }
            )
        elif command == "report":
            per_campaign: dict[str, dict[str, int]] = {}
            for (campaign, _), copies in campaigns.items():
                row = per_campaign.setdefault(
                    campaign.decode(), {"messages": 0, "distinct": 0, "duplicates": 0}
                )
                row["messages"] += copies
                row["distinct"] += 1
                row["duplicates"] += copies - 1
            control.send(
                {
                    "reminders": {k.decode(): v for k, v in reminders.items()},
                    "campaigns": per_campaign,
                    "refused": state["refused"],
                    "other": state["other"],
                }
            )
        else:
            controller.stop()
            control.send("stopped")
            return
