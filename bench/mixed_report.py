"""The report of bench/mixed.py: Markdown, as docs/benchmarks.md quotes it."""

from __future__ import annotations

P99_LIMIT = 5.0
CRASH_BOUND_S = 300
# The bench's own processes: the sink keeps a counter per reminder and recipient and locust
# its statistics, so they grow by design; their RSS is shown, not judged.
BENCH_PROCESSES = {"sink", "locust"}


WINDOW_S = 30


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def latency_over_time(
    timings: list[tuple[float, str, float, int]],
    *,
    start: float,
    limits: dict[str, float],
    events: list[dict],
    window: int = WINDOW_S,
) -> list[dict]:
    """Every member request of the loaded phase (first attempts and retries) by the
    ``window`` it started in: how many, p50, p99, max, and how many took longer than their
    endpoint's limit (``P99_LIMIT`` x its unloaded p99), next to the chaos of that window."""
    by_window: dict[int, list[tuple[str, float]]] = {}
    for begun, name, ms, _ in timings:
        by_window.setdefault(int((begun - start) // window), []).append((name, ms))
    rows = []
    for index in sorted(by_window):
        requests = by_window[index]
        times = [ms for _, ms in requests]
        over = sum(1 for name, ms in requests if ms > limits.get(name.removesuffix(" [retry]"), ms))
        rows.append({
            "from_s": index * window,
            "requests": len(requests),
            "p50_ms": _pct(times, 0.50),
            "p99_ms": _pct(times, 0.99),
            "max_ms": max(times),
            "over_limit": over,
            "chaos": [e["what"] for e in events if index * window <= e["t"] < (index + 1) * window],
        })  # fmt: skip
    return rows


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def targets(r: dict) -> dict[str, bool]:
    """Each target of issue 14 and whether this run met it."""
    lg, rm, cp = r["logs"], r["reminders"], r["campaign"]
    sink = cp["sink"]
    return {
        f"p99 under load <= {P99_LIMIT:g}x unloaded, every endpoint": all(
            row["met"] for row in r["endpoints"]
        ),
        "0 errors that were not a clear error (clear ones retried)": not r["errors"]["unexpected"],
        "0 lost logs, 0 duplicated logs": lg["lost"] == 0 and lg["duplicated"] == 0,
        "every reminder at the sink once (the one 250/ledger duplicate counted apart)": (
            rm["sink_distinct"] == rm["expected_sends"]
        ),
        "reminder duplicates <= 1 per killed worker process": (
            rm["sink_duplicates"] <= r["killed_worker"].get("processes", 1)
        ),
        f"a killed worker's reminders within {CRASH_BOUND_S} s of due": (
            rm["killed_rows_late_max_s"] is not None
            and rm["killed_rows_late_max_s"] <= CRASH_BOUND_S
        ),
        "every campaign email at the sink exactly once": (
            sink.get("distinct") == cp["recipients"] and sink.get("duplicates") == 0
        ),
        "campaign finished without an editor": cp["status"] == "sent" and not cp["editor_resumes"],
        "RSS flat after warm-up (last <= 1.25 x first, every process but the bench's own)": all(
            row["last_mb"] <= 1.25 * row["after_warmup_mb"]
            for name, row in r["rss"].items()
            if name not in BENCH_PROCESSES
        ),
    }


def print_report(r: dict) -> None:
    c = r["conditions"]
    print(
        f"\n## Mixed load: {c['users']} members x {c['run_time_s']} s, campaign to "
        f"{c['recipients']:,}, {c['reminders']:,} reminders due in one minute, chaos "
        f"{'on' if c['chaos'] else 'off'}; {c['cpus']} CPUs, {c['finished_utc']}\n"
    )
    print(
        f"/proc/loadavg: start `{c['loadavg_start']}`, end of load `{c['loadavg_end_of_load']}`\n"
    )
    print(
        f"| endpoint | unloaded p50 / p99 ms | loaded p50 / p99 ms | p99 ratio (<= {P99_LIMIT:g}) "
        "| requests | retried attempts |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for row in r["endpoints"]:
        before, after = row["unloaded"], row["loaded"]
        ratio = "-" if row["p99_ratio"] is None else f"{row['p99_ratio']:.1f}"
        print(
            f"| {row['endpoint']} | {before.get('p50', 0):.0f} / {before.get('p99', 0):.0f} "
            f"| {after.get('p50', 0):.0f} / {after.get('p99', 0):.0f} "
            f"| {ratio}{'' if row['met'] else ' **missed**'} | {after.get('requests', 0):,} "
            f"| {row['retries'].get('requests', 0)} |"
        )
    errors = r["errors"]
    print(f"\n- answers that were not a clear error: {errors['unexpected'] or 'none'}")
    print(f"- clear errors (5xx, connection) the client retried: {errors['clear_then_retried']}")
    lg = r["logs"]
    print(
        f"- logs: {lg['writes']:,} writes ({lg['outcomes']}), {lg['retried']} needed a retry; "
        f"told saved {lg['told_saved']:,}, rows {lg['rows']:,}: lost {lg['lost']}, duplicated "
        f"{lg['duplicated']}, saved though the client was not told "
        f"{lg['saved_but_client_not_told']}"
    )
    rm = r["reminders"]
    print(
        f"- reminders: {rm['schedules']:,} due; ledger {rm['ledger']}; at the sink "
        f"{rm['sink_distinct']:,} distinct + {rm['sink_duplicates']} duplicate(s) "
        f"{rm['duplicated_ids']}; after due: p50 {_s(rm['late_p50_s'])}, p99 "
        f"{_s(rm['late_p99_s'])}, max {_s(rm['late_max_s'])}; {rm['over_5_min']} over 5 min"
    )
    print(
        f"- killed worker: {r['killed_worker']}; its {rm['killed_worker_rows']} 'sending' rows: "
        f"{rm['killed_rows_at_sink']} at the sink, the last {_s(rm['killed_rows_late_max_s'])} "
        "after due"
    )
    cp = r["campaign"]
    print(
        f"- campaign: {cp['status']}, sent_count {cp['sent_count']:,}, deliveries "
        f"{cp['deliveries']}, at the sink {cp['sink']}; paused itself and resumed as an "
        f"editor would: {len(cp['editor_resumes'])} time(s)"
    )
    print(f"- sink: {r['sink']}; drained {r['drained_after_s']} s after the load ended")
    print("- chaos: " + "; ".join(f"{e['t']} s {e['what']}" for e in r["chaos"]))
    groups = ["gunicorn", "workers", "postgres", "sink", "locust", "redis", "beat"]
    # CPU ms per member request: gunicorn's, and locust's, whose work per request never
    # changes; when locust's moves, the machine itself ran slower or faster (docs/benchmarks.md,
    # run M-10), and gunicorn's moves with it.
    per_request = ["gunicorn", "locust"]
    print(
        "\n| loaded s | requests | p50 ms | p99 ms | max ms | over the endpoint's limit | "
        + " | ".join(f"{g} CPU %" for g in groups)
        + " | "
        + " | ".join(f"{g} CPU ms / request" for g in per_request)
        + " | reminders / campaign at the sink | chaos |\n|---|"
        + "---:|" * (5 + len(groups) + len(per_request) + 1)
        + "---|"
    )
    for row in r.get("timeline", []):
        cpu, sent = row.get("cpu_pct", {}), row.get("sent", {})
        ms = [10 * WINDOW_S * cpu.get(g, 0) / max(row["requests"], 1) for g in per_request]
        print(
            f"| {row['from_s']}-{row['from_s'] + WINDOW_S} | {row['requests']:,} "
            f"| {row['p50_ms']:.0f} | {row['p99_ms']:.0f} | {row['max_ms']:.0f} "
            f"| {row['over_limit']} | "
            + " | ".join(f"{cpu.get(g, 0):.0f}" for g in groups)
            + " | "
            + " | ".join(f"{value:.1f}" for value in ms)
            + f" | {sent.get('reminders', 0):,} / {sent.get('campaign', 0):,} "
            f"| {', '.join(row['chaos'])} |"
        )
    print("\n| process | RSS after warm-up MB | last MB | peak MB |\n|---|---:|---:|---:|")
    for name, row in r["rss"].items():
        print(
            f"| {name} | {row['after_warmup_mb']:.0f} | {row['last_mb']:.0f} "
            f"| {row['peak_mb']:.0f} |"
        )
    print("\n| target | met |\n|---|---|")
    for target, met in targets(r).items():
        print(f"| {target} | {'yes' if met else '**no**'} |")
