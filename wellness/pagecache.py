"""Whole signed-in pages cached per member, with the per-request parts filled in after.

A member page that only changes when the member's data changes (the dashboard) is
rendered once per ``key`` and kept in the cache; every request then costs one cache
read (this process's memory first, then the shared cache) and two substitutions: the
CSRF token (a fresh masked token per request, as ``{% csrf_token %}`` gives) and the
flash messages. The key always includes the member's id and the member's fields that
pages show, and every entry is tied to this release (templates and code), so a deploy
never serves an old page.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from wellness.cache import local_first_get, local_first_set

# Each write makes a new key, and the old page is never read again: keep pages a few
# hours in the shared cache and minutes in each process (settings bound the entries).
PAGE_CACHE_SECONDS = 60 * 60 * 6
LOCAL_PAGE_SECONDS = 60 * 15
# Stand-ins rendered into the cached page; letters and digits only, so escaping keeps them.
CSRF_SLOT = "kneadfulcsrfslot7c1e0b5a93d4"
MESSAGES_SLOT = "<!--kneadful:messages-slot-->"
_FIRST_PARTY = ("accounts", "routines", "wellness", "templates")


@functools.cache
def release_id() -> str:
    """A digest of the templates, first-party code and static manifest of this release."""
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR)
    files = [
        path
        for top in _FIRST_PARTY
        for path in sorted((base / top).rglob("*"))
        if path.suffix in {".py", ".html", ".txt"} and path.is_file()
    ]
    manifest = Path(settings.STATIC_ROOT or "") / "staticfiles.json"
    if settings.STATIC_ROOT and manifest.is_file():
        files.append(manifest)
    for path in files:
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_CSRF_INDEX = {char: n for n, char in enumerate(CSRF_ALLOWED_CHARS)}
# Bytes below this map evenly onto the allowed characters (248 = 4 x 62).
_CSRF_BYTE_LIMIT = 256 - 256 % len(CSRF_ALLOWED_CHARS)


def masked_csrf_token(request: HttpRequest) -> str:
    """Django's ``get_token``: the request's CSRF secret under a fresh random mask.

    Django draws each of the mask's 32 characters with its own ``secrets.choice``, a
    call to the operating system's random source each: on a cached page that was a
    tenth of the request's CPU. Here the mask comes from one ``secrets.token_bytes``
    read, mapped onto the same characters by rejection (so just as uniform and as
    unpredictable), and the masking is Django's (mask + (secret + mask) mod 62), so
    Django's middleware checks the token unchanged. Without a CSRF cookie yet,
    Django's own ``get_token`` makes one.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie is re-sent
    chars, index, size = CSRF_ALLOWED_CHARS, _CSRF_INDEX, len(CSRF_ALLOWED_CHARS)
    mask: list[str] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        draw = secrets.token_bytes(CSRF_SECRET_LENGTH + 8)
        mask.extend(chars[byte % size] for byte in draw if byte < _CSRF_BYTE_LIMIT)
    mask = mask[:CSRF_SECRET_LENGTH]
    cipher = "".join(chars[(index[s] + index[m]) % size] for s, m in zip(secret, mask, strict=True))
    return "".join(mask) + cipher


def _member_fingerprint(user: Any) -> str:
    shown = f"{user.pk}\0{user.email}\0{user.display_name}\0{user.is_staff}\0{user.timezone}"
    return f"{user.pk}-{hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()}"


def member_page(
    request: HttpRequest,
    *,
    key: str,
    template_name: str,
    context: Callable[[], dict[str, Any]],
    timeout: int = PAGE_CACHE_SECONDS,
) -> HttpResponse:
    """The page ``template_name`` for ``request.user``, rendered once per ``key``.

    ``key`` must change whenever anything the page shows changes (besides the member's
    own name, email, role and zone, which are added here); ``context`` is only called
    on a miss. The template extends ``base.html``, which leaves the messages' place to
    ``messages_slot``.
    """
    # Under DEBUG templates change while the server runs: render every time.
    full_key = f"page:{release_id()}:{_member_fingerprint(request.user)}:{key}"
    page = None if settings.DEBUG else local_first_get(full_key, local_seconds=LOCAL_PAGE_SECONDS)
    if page is None:
        page = render_to_string(
            template_name,
            {**context(), "csrf_token": CSRF_SLOT, "messages_slot": mark_safe(MESSAGES_SLOT)},  # noqa: S308
            request,
        )
        if not settings.DEBUG:
            local_first_set(
                full_key,
                page,
                local_seconds=min(timeout, LOCAL_PAGE_SECONDS),
                shared_seconds=timeout,
            )
    pending = list(messages.get_messages(request))
    notices = render_to_string("includes/messages.html", {"messages": pending}) if pending else ""
    return HttpResponse(
        page.replace(CSRF_SLOT, masked_csrf_token(request)).replace(MESSAGES_SLOT, notices)
    )
