"""Kneadful's import rules, checked by reading the product's source with ``ast``.

* ``wellness`` (the project package) imports no app, except its URL confs, which mount
  the apps' URLs.
* One dependency direction: ``wellness <- accounts <- routines <- reminders <-
  newsletters <- offers``, and ``routines <- editor`` (the staff editor's pages and API
  over routines' services; nothing imports it). An app imports only apps below it:
  offers announces an offer through the newsletters services ("the newsletter
  machinery, nothing copied"), so it sits just above newsletters, which never imports
  offers. A lower app that must react to a higher one offers a hook instead (a signal,
  a registry set in ``AppConfig.ready()``).

Every import counts: at module level, inside a function, or under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# An app's rank: it may import apps of a lower rank only.
RANKS = {
    "wellness": 0,
    "accounts": 1,
    "routines": 2,
    "editor": 3,
    "reminders": 3,
    "newsletters": 4,
    "offers": 5,
}
APPS = set(RANKS) - {"wellness"}
WELLNESS_URL_CONFS = {"wellness/urls.py", "wellness/api_urls.py"}


@cache
def imported_packages(path: Path) -> frozenset[str]:
    """The top-level packages ``path`` imports by absolute import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return frozenset(found)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_walker_sees_imports_at_every_level():
    # The URL conf mounts apps; a lazily imported name inside a function counts too.
    assert "routines" in imported_packages(ROOT / "wellness" / "urls.py")
    assert "accounts" in imported_packages(ROOT / "accounts" / "apps.py")  # inside ready()


def test_wellness_imports_no_app_outside_its_url_confs():
    offending = [
        f"{relative(path)} imports {', '.join(sorted(imported_packages(path) & APPS))}"
        for path in modules("wellness")
        if relative(path) not in WELLNESS_URL_CONFS and imported_packages(path) & APPS
    ]
    assert offending == []


@pytest.mark.parametrize("app", sorted(APPS))
def test_an_app_imports_only_apps_below_it(app):
    if not (ROOT / app).is_dir():
        pytest.skip(f"no {app}/ app yet")
    offending = []
    for path in modules(app):
        above = sorted(
            other
            for other in imported_packages(path) & set(RANKS)
            if other != app and RANKS[other] >= RANKS[app]
        )
        if above:
            offending.append(f"{relative(path)} imports {', '.join(above)}")
    assert offending == []
