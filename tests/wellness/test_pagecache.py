"""Whole member pages cached once per key (``wellness.pagecache``), tried through the dashboard.

The cached page must never carry one request's CSRF token or flash messages to another
request, never show one member's page to another, and follow the member's own name.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from routines.services import session_log_create
from tests.factories import RoutineFactory, UserFactory
from wellness import pagecache

pytestmark = pytest.mark.django_db

# ``routines.views`` re-exports the view function ``dashboard`` under the module's name.
dashboard_views = importlib.import_module("routines.views.dashboard")

DASHBOARD = "routines:dashboard"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """One entry per time the dashboard's context is computed (a page cache miss)."""
    calls: list[int] = []
    real = dashboard_views._dashboard_context

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboard_views, "_dashboard_context", counting)
    return calls


def log_minutes(user, minutes: int, *, hours_ago: int = 3) -> None:
    start = timezone.now() - dt.timedelta(hours=hours_ago)
    session_log_create(
        user=user,
        routine=RoutineFactory(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
    )


def visit(client) -> str:
    response = client.get(reverse(DASHBOARD))
    assert response.status_code == 200
    page = response.content.decode()
    assert pagecache.CSRF_SLOT not in page
    assert pagecache.MESSAGES_SLOT not in page
    return page


def tokens(page: str) -> set[str]:
    found = set(TOKEN.findall(page))
    assert found, "the page has no CSRF field"
    return found


# --- reuse --------------------------------------------------------------------------------


def test_a_second_visit_reuses_the_page_and_a_write_renders_it_again(member_client, user, renders):
    log_minutes(user, 12)
    assert "in all · 12 min" in visit(member_client)
    assert "in all · 12 min" in visit(member_client)
    assert len(renders) == 1
    log_minutes(user, 5, hours_ago=2)
    assert "in all · 17 min" in visit(member_client)
    assert len(renders) == 2


def test_the_context_is_computed_on_every_visit_under_debug(member_client, user, renders):
    log_minutes(user, 12)
    with override_settings(DEBUG=True):
        visit(member_client)
        visit(member_client)
        assert len(renders) == 2
        assert not caches["local"]._cache  # nothing stored under DEBUG
    visit(member_client)
    assert len(renders) == 3
    with override_settings(DEBUG=True):
        visit(member_client)  # even a stored page is rendered again
    assert len(renders) == 4


# --- CSRF token per request ---------------------------------------------------------------


def test_each_visit_gets_its_own_token_and_a_post_from_the_cached_page_passes_csrf(user, renders):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    first = visit(client)
    second = visit(client)
    assert len(renders) == 1  # the second page came from the cache
    assert tokens(first).isdisjoint(tokens(second))  # a fresh masked token each time
    assert len(tokens(second)) == 1  # every form on the page carries the same token
    assert "csrftoken" in client.cookies

    response = client.post(
        reverse("routines:rest_today"), {"csrfmiddlewaretoken": tokens(second).pop()}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(DASHBOARD)
    # The token of the first (rendered) page is just as valid: same secret, another mask.
    response = client.post(
        reverse("routines:rest_today"), {"csrfmiddlewaretoken": tokens(first).pop()}
    )
    assert response.status_code == 302
    # ... and a made-up one is refused.
    response = client.post(reverse("routines:rest_today"), {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403


def test_a_client_without_a_csrf_cookie_gets_one_with_the_cached_page(user, renders):
    warm = Client()
    warm.force_login(user)
    visit(warm)  # fills the cache
    fresh = Client(enforce_csrf_checks=True)
    fresh.force_login(user)
    page = visit(fresh)
    assert len(renders) == 1
    assert fresh.cookies["csrftoken"].value
    response = fresh.post(
        reverse("routines:rest_today"), {"csrfmiddlewaretoken": tokens(page).pop()}
    )
    assert response.status_code == 302


# --- flash messages per request -----------------------------------------------------------


def test_a_flash_message_shows_once_and_never_sticks_to_the_cached_page(
    member_client, user, renders
):
    log_minutes(user, 12)
    visit(member_client)
    member_client.post(reverse("routines:rest_today"))  # a write: new figures
    page = visit(member_client)
    assert page.count("Today is a rest day: your streak is safe. Rest well.") == 1
    assert 'class="messages"' in page
    rendered = len(renders)

    page = visit(member_client)  # the same figures: served from the cache
    assert len(renders) == rendered
    assert "Rest well." not in page
    assert 'class="messages"' not in page

    # Marking the day again changes nothing: the cached page, with this request's message.
    member_client.post(reverse("routines:rest_today"))
    page = visit(member_client)
    assert len(renders) == rendered
    assert page.count("Today was already marked as a rest day.") == 1
    assert "Rest well." not in page
    page = visit(member_client)
    assert "already marked" not in page
    assert 'class="messages"' not in page


def test_the_messages_go_where_the_base_template_puts_them(member_client, user):
    member_client.post(reverse("routines:rest_today"))
    page = visit(member_client)
    header_end = page.index("</header>")
    notice = page.index("Rest well.")
    main = page.index('<main id="main"')
    assert header_end < notice < main


# --- members ------------------------------------------------------------------------------


def test_two_members_never_see_each_others_page(client, renders):
    alice = UserFactory(display_name="Alice Quill")
    bob = UserFactory(display_name="Bob Marsh")
    log_minutes(alice, 37)
    log_minutes(bob, 4)
    client.force_login(alice)
    alice_page = visit(client)
    client.force_login(bob)
    bob_page = visit(client)
    assert "in all · 37 min" in alice_page and "in all · 37 min" not in bob_page
    assert "in all · 4 min" in bob_page and "in all · 4 min" not in alice_page
    assert "Alice Quill" not in bob_page
    # Both pages are cached now; each member still gets their own.
    client.force_login(alice)
    assert "in all · 37 min" in visit(client)
    client.force_login(bob)
    again = visit(client)
    assert "in all · 4 min" in again and "in all · 37 min" not in again
    assert len(renders) == 2


def test_a_member_without_figures_never_gets_another_members_welcome(client):
    first = UserFactory(display_name="Primrose")
    second = UserFactory(display_name="Quentin")
    client.force_login(first)
    assert "Welcome, Primrose" in visit(client)
    client.force_login(second)
    page = visit(client)
    assert "Welcome, Quentin" in page and "Primrose" not in page


def test_a_changed_display_name_shows_at_once(member_client, user, renders):
    user.display_name = "Oldname"
    user.save()
    assert "Welcome, Oldname" in visit(member_client)
    assert "Welcome, Oldname" in visit(member_client)
    assert len(renders) == 1
    user.display_name = "Newname"
    user.save()
    page = visit(member_client)
    assert "Welcome, Newname" in page and "Oldname" not in page
    assert len(renders) == 2


def test_becoming_staff_shows_the_editor_link(member_client, user):
    assert reverse("admin:index") not in visit(member_client)
    user.is_staff = True
    user.save()
    assert reverse("admin:index") in visit(member_client)


# --- shared cache (Redis in production; locmem stands in here) ----------------------------


@override_settings(CACHE_IS_SHARED=True)
def test_with_a_shared_cache_another_process_serves_the_stored_page(member_client, user, renders):
    log_minutes(user, 12)
    first = visit(member_client)
    assert len(renders) == 1
    stored = [key for key in caches["default"]._cache if ":page:" in key]
    assert len(stored) == 1
    caches["local"].clear()  # another process: its own memory is empty
    second = visit(member_client)
    assert len(renders) == 1  # read from the shared cache, not rendered
    assert "in all · 12 min" in second
    assert tokens(first).isdisjoint(tokens(second))
    assert caches["local"]._cache  # and kept in this process's memory
    caches["default"].clear()
    caches["local"].clear()
    visit(member_client)
    assert len(renders) == 2


@override_settings(CACHE_IS_SHARED=False)
def test_with_a_per_process_cache_nothing_goes_to_the_default_cache(member_client, user):
    visit(member_client)
    assert not [key for key in caches["default"]._cache if ":page:" in key]
    assert caches["local"]._cache


# --- member_page itself ---------------------------------------------------------------------


def _request(user, path: str = "/"):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_member_page_fills_the_slots_and_calls_the_context_only_on_a_miss(user):
    calls: list[int] = []

    request = _request(user)

    def context():
        calls.append(1)
        return dashboard_views._dashboard_context(request)

    get_messages(request).add(25, "Saved <b>safely</b>.")
    first = pagecache.member_page(
        request, key="probe", template_name="routines/dashboard.html", context=context
    ).content.decode()
    second = pagecache.member_page(
        _request(user), key="probe", template_name="routines/dashboard.html", context=context
    ).content.decode()
    assert calls == [1]
    assert "Saved &lt;b&gt;safely&lt;/b&gt;." in first  # escaped like any message
    assert "safely" not in second
    for page in (first, second):
        assert pagecache.CSRF_SLOT not in page and pagecache.MESSAGES_SLOT not in page
    pagecache.member_page(
        _request(user), key="other", template_name="routines/dashboard.html", context=context
    )
    assert calls == [1, 1]  # another key is another page


def test_release_id_is_stable_and_names_this_code(settings):
    assert pagecache.release_id() == pagecache.release_id()
    assert re.fullmatch(r"[0-9a-f]{16}", pagecache.release_id())


def test_the_fingerprint_follows_every_field_the_pages_show(user):
    base = pagecache._member_fingerprint(user)
    for field, value in [
        ("email", "changed@example.com"),
        ("display_name", "Someone Else"),
        ("is_staff", True),
        ("timezone", "Asia/Tokyo"),
    ]:
        changed = UserFactory.build(
            pk=user.pk,
            email=user.email,
            display_name=user.display_name,
            is_staff=user.is_staff,
            timezone=user.timezone,
        )
        assert pagecache._member_fingerprint(changed) == base
        setattr(changed, field, value)
        assert pagecache._member_fingerprint(changed) != base, field


def test_masked_csrf_token_is_djangos_masking_with_a_uniform_fresh_mask(rf):
    from collections import Counter

    from django.middleware.csrf import (
        CSRF_ALLOWED_CHARS,
        _get_new_csrf_string,
        _unmask_cipher_token,
    )

    request = rf.get("/")
    secret = _get_new_csrf_string()
    request.META["CSRF_COOKIE"] = secret
    tokens = [pagecache.masked_csrf_token(request) for _ in range(3000)]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the cookie is sent again
    assert len(set(tokens)) == len(tokens)  # a fresh mask every time
    for token in tokens[:50]:
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret  # what Django's middleware checks
    counts = Counter(char for token in tokens for char in token[:32])
    expected = 3000 * 32 / len(CSRF_ALLOWED_CHARS)  # ~1548 per character
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert all(0.8 * expected < n < 1.2 * expected for n in counts.values())


def test_masked_csrf_token_without_a_cookie_is_djangos_own(rf):
    from django.middleware.csrf import _unmask_cipher_token

    request = rf.get("/")
    token = pagecache.masked_csrf_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]  # a new cookie made
