"""Security headers on every response: CSP without inline script, Permissions-Policy,
nosniff, referrer policy, no framing; HSTS and secure cookies under production settings."""

from __future__ import annotations

import json

import pytest

from tests.wellness.test_settings import production_env, run_manage

pytestmark = pytest.mark.django_db

PAGES = ["/", "/library/", "/accounts/login/", "/api/docs/", "/api/v1/series/"]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_no_page_template_has_an_inline_script():
    """CSP forbids inline scripts: every <script> of the site's templates loads a file."""
    import re
    from pathlib import Path

    from tests.servers import ROOT

    offenders = []
    for template in Path(ROOT, "templates").rglob("*.html"):
        if template.parts[-2:-1] == ("emails",):
            continue  # email HTML never runs scripts
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            if "src=" not in tag:
                offenders.append(f"{template.relative_to(ROOT)}: {tag}")
        if re.search(r"\son[a-z]+=\"", template.read_text()):
            offenders.append(f"{template.relative_to(ROOT)}: inline event handler")
    assert offenders == []


PRINT = (
    "from django.conf import settings as s; import json; print('S=' + json.dumps(["
    "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE,"
    " s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY]))"
)


def test_production_settings_have_hsts_and_secure_cookies(tmp_path):
    result = run_manage(tmp_path, "shell", "-c", PRINT, **production_env())
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("S="))
    hsts, subdomains, session_secure, csrf_secure, redirect, httponly = json.loads(line[2:])
    assert hsts >= 31536000 and subdomains
    assert session_secure and csrf_secure and redirect and httponly
