"""`make run` on another port: the links in emails follow it (issue 13)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _honcho_line(**env: str) -> str:
    """The command `make run` would start honcho with (a dry run: nothing starts)."""
    environ = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    environ.update(env)
    args = ["make", "--no-print-directory", "-n", "run"]
    args += [f"PORT={environ.pop('PORT')}"] if "PORT" in environ else []
    result = subprocess.run(
        args, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=True
    )
    (line,) = [line for line in result.stdout.splitlines() if "Procfile.dev start" in line]
    return line


def test_make_run_points_email_links_at_its_own_port():
    line = _honcho_line(PORT="8123")
    assert re.search(r'\bSITE_URL="http://127\.0\.0\.1:8123"', line), line
    assert re.search(r"\bPORT=8123\b", line)


def test_make_run_keeps_the_default_port_and_an_explicit_site_url():
    assert 'SITE_URL="http://127.0.0.1:8000"' in _honcho_line()
    line = _honcho_line(PORT="8123", SITE_URL="https://kneadful.example")
    assert 'SITE_URL="https://kneadful.example"' in line
