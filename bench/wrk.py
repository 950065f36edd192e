"""wrk for the benchmarks: installed on demand, run with a bound, its output parsed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def ensure_wrk() -> str:
    """The path of ``wrk``; installs Debian's package when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(
            "wrk is not installed and this is not root with apt-get: install it "
            "(Debian/Ubuntu: sudo apt-get install -y wrk) and run the benchmark again."
        )
    print("wrk is missing: apt-get install -y wrk", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, timeout=600, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=600, check=True)
        subprocess.run(install, env=env, timeout=600, check=True)
    return shutil.which("wrk") or "wrk"


def parse_wrk(output: str) -> dict[str, float | int | str]:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def run_wrk(
    url: str,
    *,
    script: str | None = None,
    env: dict[str, str] | None = None,
    duration: int,
    threads: int,
    connections: int,
) -> dict[str, float | int | str]:
    """One wrk run of ``duration`` seconds (killed if it has not ended a minute later)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    cmd += ["--timeout", "5s"]
    if script:
        cmd += ["-s", str(LUA / script)]
    result = subprocess.run(
        [*cmd, url],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    )
    return parse_wrk(result.stdout)
