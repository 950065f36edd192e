"""The permission matrix: every route of the URL conf x every method its view answers x
{anonymous, member, other member, editor, superuser}, with the status each must get.

How it is built
- The routes and their methods are found, not listed: ``tests.permissions.routes`` walks
  ``get_resolver().url_patterns`` (see there how methods are found).
- ``MATRIX`` below is the one table of what is expected: for each route, how its path is
  filled and, per method, the five answers in the order of ``ROLES``
  (anonymous, member, other, editor, superuser). ``RULES`` covers the admin's many model
  pages with two patterns. **Every route must be matched by exactly one rule** (one row
  of ``MATRIX`` or one pattern of ``RULES``), and every row and rule must match a route
  that exists: a new URL without an entry fails ``test_every_route_has_exactly_one_rule``,
  naming it, and so does a row whose URL is gone or whose methods changed.
- A route that can never be reached because an earlier one has the same pattern is dead
  code and fails ``test_no_route_is_shadowed`` (``SHADOWED`` stays empty);
  ``ONLY_SOMETIMES`` the rows of routes some settings leave out (``media/`` without DEBUG).
  The anymail webhooks are mounted only when ANYMAIL_WEBHOOK_SECRET (or a signing key) is
  set, which the tests do not do: set it, and their routes fail the test until they have
  rows.

The roles and the objects (``tests.permissions.world``)
- "member" is member A, who owns every member object in the path; "other" is member B
  asking for A's objects; "editor" is in the "Editors" group (not staff); "superuser".
- Pages are requested signed in by session (``force_login``); ``/api/v1/`` with the
  role's real API token (``Authorization: Token``), as token clients do.
- Another member's object is **404**, on pages and in the API, never 403: Kneadful does
  not say that someone else's object exists. Editors and superusers are members there
  too: members' own data is not staff data (only the admin shows it, to superusers).
  Links signed for A (reminder actions, unsubscribe, preferences, newsletter) are
  authorised by their token alone, so every role gets what A gets.
- Staff pages: anonymous -> the login page, members -> 403. Staff API: 401, then 403.

The answers
- an int is that exact status (a 302 then must not lead to a login page); ``LOGIN`` is a
  302 to the login page, ``ADMIN_LOGIN`` one to the admin's; ``OK`` ("allowed": the body
  does not matter) is any of 200/201/204/400 or a 302 elsewhere than a login page. A 401
  must say ``WWW-Authenticate: Token``. A 5xx never passes.
- No answer to anyone but A ever contains ``SECRET`` (in A's notes and token name), the
  admin's pages for the superuser excepted.

Each test is one route: it tries every (method, role) cell, each in its own savepoint
rolled back afterwards, on one world built once for the module; all the wrong cells of
a route are reported together. How a cell is asked and judged: ``tests.permissions.cells``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import resolve

from tests.permissions.cells import (
    ADMIN_LOGIN,
    LOGIN,
    OK,
    Params,
    Row,
    body,
    check,
    path_of,
    request,
    row,
    same,
)
from tests.permissions.routes import Route, all_routes, methods_of
from tests.permissions.world import ROLES, SECRET, World, build_world

# --- How paths are filled: always A's objects (or the library's, the offer, the campaign) --

LOG: Params = lambda w: {"log_id": w.log.pk}  # noqa: E731
LOG_PK: Params = lambda w: {"pk": w.log.pk}  # noqa: E731
SCHEDULE: Params = lambda w: {"pk": w.schedule.pk}  # noqa: E731
TOKEN: Params = lambda w: {"pk": w.token_id}  # noqa: E731
OFFER: Params = lambda w: {"pk": w.offer.pk}  # noqa: E731
CAMPAIGN: Params = lambda w: {"pk": w.campaign.pk}  # noqa: E731
LIVE: Params = lambda w: {"slug": w.live.slug}  # noqa: E731
LIVE_ROUTINE: Params = lambda w: {"pk": w.live_routine.pk}  # noqa: E731
DRAFT: Params = lambda w: {"slug": w.draft.slug}  # noqa: E731
DRAFT_ROUTINE: Params = lambda w: {"pk": w.draft_routine.pk}  # noqa: E731
IN_DRAFT: Params = lambda w: {"slug": w.draft.slug, "pk": w.draft_routine.pk}  # noqa: E731
STEP: Params = lambda w: {  # noqa: E731
    "slug": w.draft.slug,
    "pk": w.draft_routine.pk,
    "step_pk": w.draft_step.pk,
}


def signed(name: str, **extra: str) -> Params:
    return lambda w: {"token": w.signed()[name], **extra}


# --- The common shapes of a row (anonymous, member, other, editor, superuser) -----------

PUBLIC = (200, 200, 200, 200, 200)
SIGNED_IN = (LOGIN, 200, 200, 200, 200)  # a page about the signed-in member's own data
SIGNED_IN_OK = (LOGIN, OK, OK, OK, OK)
A_ONLY = (LOGIN, 200, 404, 404, 404)  # a page of A's object
A_ONLY_OK = (LOGIN, OK, 404, 404, 404)
STAFF = (LOGIN, 403, 403, 200, 200)
STAFF_OK = (LOGIN, 403, 403, OK, OK)
API_SELF = (401, 200, 200, 200, 200)  # the API about the caller's own data
API_SELF_OK = (401, OK, OK, OK, OK)
API_A_ONLY = (401, 200, 404, 404, 404)
API_STAFF = (401, 403, 403, 200, 200)
API_STAFF_OK = (401, 403, 403, OK, OK)
DRAFT_VIEW = (404, 404, 404, 200, 200)  # unpublished: editors (and superusers) only

ADMIN_DENIED = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN)

MATRIX: dict[str, Row] = {
    # --- the site -------------------------------------------------------------------------
    "": row(GET=PUBLIC),
    "healthz": row(GET=PUBLIC),
    "api/schema/": row(GET=PUBLIC),
    "api/docs/": row(GET=PUBLIC),
    "^media/(?P<path>.*)$": row(
        lambda w: {"path": "nothing-here.png"}, **same((404, 404, 404, 404, 404), "GET", "POST")
    ),
    # --- allauth ----------------------------------------------------------------------------
    "accounts/login/": row(
        GET=(200, 302, 302, 302, 302), **same((OK, 302, 302, 302, 302), "POST", "PUT")
    ),
    "accounts/logout/": row(GET=(302, 200, 200, 200, 200), POST=(302, 302, 302, 302, 302)),
    "accounts/inactive/": row(GET=PUBLIC),
    "accounts/signup/": row(
        GET=(200, 302, 302, 302, 302), **same((OK, 302, 302, 302, 302), "POST", "PUT")
    ),
    "accounts/reauthenticate/": row(GET=SIGNED_IN, **same(SIGNED_IN_OK, "POST", "PUT")),
    "accounts/reauthenticate/code/": row(**same(SIGNED_IN_OK, "GET", "POST", "PUT")),
    "accounts/reauthenticate/code/confirm/": row(**same(SIGNED_IN_OK, "GET", "POST", "PUT")),
    "accounts/login/code/confirm/": row(**same((LOGIN, 302, 302, 302, 302), "GET", "POST", "PUT")),
    "accounts/email/": row(GET=SIGNED_IN, **same(SIGNED_IN_OK, "POST", "PUT")),
    "accounts/confirm-email/": row(GET=PUBLIC, POST=(405, 405, 405, 405, 405)),
    # A's link confirms A's address for whoever opens it (the key is the authority), and
    # signs in no one: allauth signs out a visitor who is someone else, then asks to log in.
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": row(
        lambda w: {"key": w.signed()["email_confirm"]},
        GET=PUBLIC,
        POST=(LOGIN, 302, LOGIN, LOGIN, LOGIN),
    ),
    "accounts/password/change/": row(GET=SIGNED_IN, **same(SIGNED_IN_OK, "POST", "PUT")),
    "accounts/password/set/": row(**same(SIGNED_IN_OK, "GET", "POST", "PUT")),
    "accounts/password/reset/": row(GET=PUBLIC, **same((OK, OK, OK, OK, OK), "POST", "PUT")),
    "accounts/password/reset/done/": row(GET=PUBLIC),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": row(
        lambda w: {"uidb36": w.signed()["reset_uid"], "key": w.signed()["reset_key"]},
        **same((OK, OK, OK, OK, OK), "GET", "POST", "PUT"),
    ),
    "accounts/password/reset/key/done/": row(GET=PUBLIC),
    # --- the member's account ---------------------------------------------------------------
    "me/profile/": row(GET=SIGNED_IN, POST=SIGNED_IN_OK),
    "me/tokens/new/": row(POST=SIGNED_IN_OK),
    # Another member's token id: "already revoked", nothing done (tests/accounts/test_views.py
    # asks for it; the page reveals nothing). The API answers 404.
    "me/tokens/<int:pk>/revoke/": row(TOKEN, POST=(LOGIN, 302, 302, 302, 302)),
    "me/delete/": row(GET=SIGNED_IN, POST=SIGNED_IN_OK),
    "me/export.json": row(GET=SIGNED_IN),
    "me/emails/": row(GET=SIGNED_IN, POST=SIGNED_IN_OK),
    "me/reminders/": row(GET=SIGNED_IN),
    "me/reminders/new/": row(GET=SIGNED_IN, POST=SIGNED_IN_OK),
    "me/reminders/<int:pk>/edit/": row(SCHEDULE, GET=A_ONLY, POST=A_ONLY_OK),
    "me/reminders/<int:pk>/pause/": row(SCHEDULE, POST=(LOGIN, 302, 404, 404, 404)),
    "me/reminders/<int:pk>/delete/": row(SCHEDULE, GET=A_ONLY, POST=(LOGIN, 302, 404, 404, 404)),
    # --- links from emails: the signed token is the authority ---------------------------------
    "me/^reminders/(?P<action>done|rest)/(?P<token>[^/]+)/$": row(
        signed("reminder_done", action="done"), GET=PUBLIC, POST=PUBLIC
    ),
    "email/unsubscribe/<str:token>/": row(signed("email_unsubscribe"), GET=PUBLIC, POST=PUBLIC),
    "email/preferences/<str:token>/": row(
        signed("email_preferences"), GET=PUBLIC, POST=(302, 302, 302, 302, 302)
    ),
    "newsletter/subscribe/": row(GET=PUBLIC, POST=PUBLIC),
    "newsletter/subscribe/thanks/": row(GET=PUBLIC),
    "newsletter/confirm/<str:token>/": row(signed("nl_confirm"), GET=PUBLIC, POST=PUBLIC),
    "newsletter/manage/<str:token>/": row(
        signed("nl_manage"), GET=PUBLIC, POST=(302, 302, 302, 302, 302)
    ),
    "newsletter/unsubscribe/<str:token>/": row(signed("nl_unsubscribe"), GET=PUBLIC, POST=PUBLIC),
    # --- the library, the player and the member's practice ------------------------------------
    "library/": row(GET=PUBLIC),
    "library/<slug:slug>/": row(DRAFT, GET=DRAFT_VIEW),
    "library/<slug:slug>/favourite/": row(LIVE, POST=(LOGIN, 302, 302, 302, 302)),
    "library/<slug:slug>/safety/": row(LIVE, **same((LOGIN, 302, 302, 302, 302), "GET", "POST")),
    "routines/<int:pk>/": row(DRAFT_ROUTINE, GET=DRAFT_VIEW),
    "routines/<int:pk>/play/": row(LIVE_ROUTINE, GET=SIGNED_IN),
    "routines/<int:pk>/finish/": row(LIVE_ROUTINE, GET=SIGNED_IN, POST=SIGNED_IN_OK),
    "sessions/": row(GET=SIGNED_IN),
    "sessions/new/": row(GET=SIGNED_IN, POST=SIGNED_IN_OK),
    "sessions/export.csv": row(GET=SIGNED_IN),
    "sessions/<int:log_id>/": row(LOG, GET=A_ONLY),
    "sessions/<int:log_id>/edit/": row(LOG, GET=A_ONLY, POST=A_ONLY_OK),
    "sessions/<int:log_id>/delete/": row(LOG, GET=A_ONLY, POST=(LOGIN, 302, 404, 404, 404)),
    "dashboard/": row(GET=SIGNED_IN),
    "dashboard/rest-today/": row(POST=(LOGIN, 302, 302, 302, 302)),
    "dashboard/plan/": row(POST=SIGNED_IN_OK),
    "offers/": row(GET=SIGNED_IN),
    "offers/<int:pk>/redeem/": row(OFFER, POST=(LOGIN, 302, 302, 302, 302)),
    # --- staff pages: the "Editors" group's permissions, never is_staff ----------------------
    "staff/campaigns/": row(GET=STAFF),
    "staff/campaigns/new/": row(GET=STAFF, POST=STAFF_OK),
    "staff/campaigns/<int:pk>/": row(CAMPAIGN, GET=STAFF),
    "staff/campaigns/<int:pk>/edit/": row(CAMPAIGN, GET=STAFF, POST=STAFF_OK),
    "staff/campaigns/<int:pk>/preview/": row(CAMPAIGN, GET=STAFF),
    "staff/campaigns/<int:pk>/progress.json": row(CAMPAIGN, GET=STAFF),
    **{
        f"staff/campaigns/<int:pk>/{action}/": row(CAMPAIGN, POST=STAFF_OK)
        for action in ("send", "schedule", "unschedule", "pause", "resume", "cancel", "test")
    },
    "staff/offers/": row(GET=STAFF),
    "staff/offers/new/": row(GET=STAFF, POST=STAFF_OK),
    "staff/offers/<int:pk>/": row(OFFER, GET=STAFF),
    "staff/offers/<int:pk>/edit/": row(OFFER, GET=STAFF, POST=STAFF_OK),
    "staff/offers/<int:pk>/end/": row(OFFER, POST=STAFF_OK),
    "staff/offers/<int:pk>/announce/": row(OFFER, POST=STAFF_OK),
    "staff/offers/<int:pk>/redemptions.csv": row(OFFER, GET=STAFF),
    "editor/": row(GET=STAFF),
    "editor/series/new/": row(GET=STAFF, POST=STAFF_OK),
    "editor/series/<slug:slug>/": row(DRAFT, GET=STAFF),
    "editor/series/<slug:slug>/edit/": row(DRAFT, GET=STAFF, POST=STAFF_OK),
    "editor/series/<slug:slug>/history/": row(DRAFT, GET=STAFF),
    "editor/series/<slug:slug>/publish/": row(DRAFT, POST=STAFF_OK),
    "editor/series/<slug:slug>/schedule/": row(DRAFT, POST=STAFF_OK),
    "editor/series/<slug:slug>/unschedule/": row(DRAFT, POST=STAFF_OK),
    "editor/series/<slug:slug>/unpublish/": row(LIVE, POST=STAFF_OK),
    "editor/series/<slug:slug>/preview/": row(DRAFT, GET=STAFF),
    "editor/series/<slug:slug>/routines/<int:pk>/preview/": row(IN_DRAFT, GET=STAFF),
    "editor/series/<slug:slug>/routines/new/": row(DRAFT, GET=STAFF, POST=STAFF_OK),
    "editor/series/<slug:slug>/routines/order/": row(DRAFT, POST=STAFF_OK),
    "editor/series/<slug:slug>/routines/<int:pk>/edit/": row(IN_DRAFT, GET=STAFF, POST=STAFF_OK),
    "editor/series/<slug:slug>/routines/<int:pk>/remove/": row(IN_DRAFT, GET=STAFF, POST=STAFF_OK),
    "editor/series/<slug:slug>/routines/<int:pk>/move/": row(IN_DRAFT, POST=STAFF_OK),
    "editor/series/<slug:slug>/routines/<int:pk>/steps/new/": row(
        IN_DRAFT, GET=STAFF, POST=STAFF_OK
    ),
    "editor/series/<slug:slug>/routines/<int:pk>/steps/order/": row(IN_DRAFT, POST=STAFF_OK),
    "editor/series/<slug:slug>/routines/<int:pk>/steps/<int:step_pk>/edit/": row(
        STEP, GET=STAFF, POST=STAFF_OK
    ),
    "editor/series/<slug:slug>/routines/<int:pk>/steps/<int:step_pk>/remove/": row(
        STEP, GET=STAFF, POST=STAFF_OK
    ),
    "editor/series/<slug:slug>/routines/<int:pk>/steps/<int:step_pk>/move/": row(
        STEP, POST=STAFF_OK
    ),
    # --- API: the library (reading is public; drafts for editors) ----------------------------
    "api/v1/body-parts/": row(GET=PUBLIC),
    "api/v1/series/": row(GET=PUBLIC, POST=API_STAFF_OK),
    "api/v1/series/<slug:slug>/": row(DRAFT, GET=DRAFT_VIEW, PATCH=API_STAFF_OK),
    "api/v1/series/<slug:slug>/safety-acknowledgement/": row(LIVE, POST=(401, 204, 204, 204, 204)),
    "api/v1/routines/<int:pk>/": row(DRAFT_ROUTINE, GET=DRAFT_VIEW),
    # --- API: the staff editor -----------------------------------------------------------------
    "api/v1/series/<slug:slug>/publish/": row(DRAFT, POST=API_STAFF_OK),
    "api/v1/series/<slug:slug>/unpublish/": row(LIVE, POST=API_STAFF_OK),
    "api/v1/series/<slug:slug>/history/": row(DRAFT, GET=API_STAFF),
    "api/v1/series/<slug:slug>/routines/": row(DRAFT, POST=API_STAFF_OK),
    "api/v1/series/<slug:slug>/routines/order/": row(DRAFT, PUT=API_STAFF_OK),
    "api/v1/series/<slug:slug>/routines/<int:pk>/": row(
        IN_DRAFT, GET=API_STAFF, PATCH=API_STAFF_OK, DELETE=API_STAFF_OK
    ),
    "api/v1/series/<slug:slug>/routines/<int:pk>/steps/": row(IN_DRAFT, POST=API_STAFF_OK),
    "api/v1/series/<slug:slug>/routines/<int:pk>/steps/order/": row(IN_DRAFT, PUT=API_STAFF_OK),
    "api/v1/series/<slug:slug>/routines/<int:pk>/steps/<int:step_pk>/": row(
        STEP, GET=API_STAFF, PATCH=API_STAFF_OK, DELETE=API_STAFF_OK
    ),
    # --- API: the member's own data ------------------------------------------------------------
    "api/v1/auth/token/": row(POST=(400, 400, 400, 400, 400)),
    "api/v1/me/": row(GET=API_SELF, PATCH=API_SELF),
    "api/v1/me/tokens/": row(GET=API_SELF),
    "api/v1/me/tokens/<int:pk>/": row(TOKEN, DELETE=(401, 204, 404, 404, 404)),
    "api/v1/sessions/": row(GET=API_SELF, POST=API_SELF_OK),
    "api/v1/sessions/<int:pk>/": row(
        LOG_PK, GET=API_A_ONLY, PATCH=API_A_ONLY, DELETE=(401, 204, 404, 404, 404)
    ),
    "api/v1/me/stats/": row(GET=API_SELF),
    "api/v1/me/rest-days/": row(GET=API_SELF, POST=API_SELF_OK),
    "api/v1/me/practice-plan/": row(GET=API_SELF, PATCH=API_SELF),
    "api/v1/me/favourites/": row(GET=API_SELF, POST=API_SELF_OK),
    "api/v1/me/favourites/<slug:slug>/": row(LIVE, DELETE=(401, 204, 204, 204, 204)),
    "api/v1/me/reminders/": row(GET=API_SELF, POST=API_SELF_OK),
    "api/v1/me/reminders/<int:pk>/": row(
        SCHEDULE, GET=API_A_ONLY, PATCH=API_A_ONLY, DELETE=(401, 204, 404, 404, 404)
    ),
    # --- API: offers (members read and redeem, editors write) and campaigns (staff) --------
    "api/v1/^offers/$": row(GET=API_SELF, POST=API_STAFF_OK),
    "api/v1/^offers/(?P<pk>\\d+)/$": row(OFFER, GET=API_SELF, PATCH=API_STAFF_OK),
    "api/v1/^offers/(?P<pk>\\d+)/redeem/$": row(OFFER, POST=(401, 200, 201, 201, 201)),
    "api/v1/^campaigns/$": row(GET=API_STAFF, POST=API_STAFF_OK),
    "api/v1/^campaigns/(?P<pk>[^/.]+)/$": row(CAMPAIGN, GET=API_STAFF, PATCH=API_STAFF_OK),
    **{
        f"api/v1/^campaigns/(?P<pk>[^/.]+)/{action}/$": row(CAMPAIGN, POST=API_STAFF_OK)
        for action in ("cancel", "pause", "resume", "send")
    },
    # --- the admin: superusers only (editors are not staff) ----------------------------------
    "admin/": row(**same((ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200), "GET", "POST")),
    # Through allauth's login page (secure_admin_login): signed-in non-staff get 403.
    "admin/login/": row(GET=(LOGIN, 403, 403, 403, 302), POST=(LOGIN, 403, 403, 403, OK)),
    "admin/logout/": row(GET=(302, 302, 302, 302, 405), POST=(302, 302, 302, 302, OK)),
    "admin/password_change/": row(
        **same((ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK), "GET", "POST")
    ),
    "admin/password_change/done/": row(GET=(*ADMIN_DENIED, 200), POST=(*ADMIN_DENIED, 405)),
    # Without its query (app, model, field) autocomplete refuses even a superuser.
    "admin/autocomplete/": row(GET=(*ADMIN_DENIED, 403), POST=(*ADMIN_DENIED, 405)),
    "admin/jsi18n/": row(GET=(*ADMIN_DENIED, 200), POST=(*ADMIN_DENIED, 405)),
    "admin/r/<path:content_type_id>/<path:object_id>/": row(
        lambda w: {
            "content_type_id": ContentType.objects.get_for_model(w.live).pk,
            "object_id": w.live.pk,
        },
        **same((ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 302), "GET", "POST"),
    ),
    "admin/^(?P<app_label>auth|account|accounts|routines|reminders|newsletters|offers)/$": row(
        lambda w: {"app_label": "routines"},
        **same((ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200), "GET", "POST"),
    ),
    "admin/accounts/user/<id>/password/": row(
        lambda w: {"id": w.a.pk}, GET=(*ADMIN_DENIED, 200), POST=(*ADMIN_DENIED, OK)
    ),
    "admin/(?P<url>.*)$": row(
        lambda w: {"url": "no/such/page/"},
        **same((ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 404), "GET", "POST"),
    ),
}


def _admin_object(route: str) -> dict[str, object]:
    """The first object of the model whose admin page ``route`` is (the world has one of
    each)."""
    app_label, model_name = route.split("/")[1:3]
    model = apps.get_model(app_label, model_name)
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the world has no {app_label}.{model_name} for {route}"
    return {"object_id": obj.pk} if "<path:object_id>" in route else {}


_ADMIN_APPS = "|".join(sorted({model._meta.app_label for model in admin.site._registry}))
_MODEL_PAGE = rf"^admin/({_ADMIN_APPS})/\w+/"

# What the admin refuses even to a superuser (403): the models it shows read-only, or
# whose rows only Kneadful's services may make or remove.
ADMIN_REFUSES = {
    "accounts.apitoken": {"add", "change"},
    "accounts.emailpreference": {"add", "change"},
    "newsletters.delivery": {"add"},
    "offers.offer": {"add", "change", "delete"},  # the staff pages are the way
    "offers.redemption": {"add", "change", "delete"},
    "reminders.reminderoccurrence": {"add", "change"},
    "reminders.reminderschedule": {"add", "change"},
    "routines.auditentry": {"add", "change", "delete"},
    "routines.dailyactivity": {"add", "change"},
}


def _admin_model_page(route: str) -> Row:
    """Non-superusers are sent to the admin's login; the superuser reads every page and
    may do what ``ADMIN_REFUSES`` does not refuse (a change page is readable, its POST is
    the change)."""
    app_label, model_name, *rest = route.split("/")[1:]
    action = "list" if rest == [""] else rest[0] if rest[0] == "add" else rest[1]
    refused = ADMIN_REFUSES.get(f"{app_label}.{model_name}", set())
    get = 403 if action in refused - {"change"} else 200
    post = 403 if action in refused else OK
    return row(lambda w: _admin_object(route), GET=(*ADMIN_DENIED, get), POST=(*ADMIN_DENIED, post))


# Patterns for the admin's pages of every registered model: (regex on the route, row).
RULES: list[tuple[str, Callable[[str], Row]]] = [
    (_MODEL_PAGE + r"((add/)|(<path:object_id>/(history|delete|change)/))?$", _admin_model_page),
    (
        _MODEL_PAGE + r"<path:object_id>/$",  # RedirectView to .../change/
        lambda route: row(
            lambda w: _admin_object(route),
            **same((*ADMIN_DENIED, 302), "GET", "POST", "PUT", "PATCH", "DELETE"),
        ),
    ),
]

# Rows for routes the URL conf has only in some settings: route -> whether it has it now.
ONLY_SOMETIMES: dict[str, Callable[[], bool]] = {
    "^media/(?P<path>.*)$": lambda: settings.DEBUG,  # static() serves uploads under DEBUG
}

# Routes that can never be reached: an earlier route has the same pattern. view -> route
SHADOWED: dict[str, str] = {}  # a route nothing can reach is dead code: remove it


# --- Finding each route's rule ---------------------------------------------------------


def _reachable() -> tuple[list[Route], list[Route]]:
    seen: set[str] = set()
    reachable, shadowed = [], []
    for route in all_routes():
        (shadowed if route.route in seen else reachable).append(route)
        seen.add(route.route)
    return reachable, shadowed


ROUTES, SHADOWED_FOUND = _reachable()


def rules_for(route: str) -> list[tuple[str, Row]]:
    found = [(f"MATRIX[{route!r}]", MATRIX[route])] if route in MATRIX else []
    found += [(f"RULES[{regex!r}]", make(route)) for regex, make in RULES if re.match(regex, route)]
    return found


def test_every_route_has_exactly_one_rule():
    problems = []
    for route in ROUTES:
        found = rules_for(route.route)
        if len(found) != 1:
            what = "no entry" if not found else f"{len(found)} rules: {[n for n, _ in found]}"
            problems.append(f"{route.route!r} ({route.view}): {what} in the matrix")
            continue
        declared = tuple(
            m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in found[0][1].methods
        )
        if any(len(cells) != len(ROLES) for cells in found[0][1].methods.values()):
            problems.append(f"{route.route!r}: every method needs one answer per role {ROLES}")
        if declared != methods_of(route):
            problems.append(
                f"{route.route!r}: the matrix declares {declared}, the view answers "
                f"{methods_of(route)}"
            )
    routes = {route.route for route in ROUTES} | {
        key for key, present in ONLY_SOMETIMES.items() if not present()
    }
    problems += [
        f"MATRIX[{key!r}] names no route of the URL conf" for key in MATRIX if key not in routes
    ]
    problems += [
        f"RULES[{regex!r}] matches no route"
        for regex, _ in RULES
        if not any(re.match(regex, r) for r in routes)
    ]
    assert not problems, "\n".join(problems)


def test_no_route_is_shadowed():
    assert {route.view: route.route for route in SHADOWED_FOUND} == SHADOWED


# --- Requesting every cell -------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module inside a transaction that is rolled back at its end;
    each test's own transaction (pytest-django's) is a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: "/" + r.route)
def test_route(world, route):
    found = rules_for(route.route)
    assert len(found) == 1, f"{route.route!r} needs exactly one rule (see the first test)"
    (_, row_) = found[0]
    wrong = []
    guarded = not route.route.startswith("admin/")  # the admin shows A's data to superusers
    before = world.baseline  # every test starts from the same world (all rolled back)
    path = path_of(route, row_.params(world))
    assert resolve(path).func is route.callback, f"{path} does not reach {route.view}"
    for method, cells in row_.methods.items():
        for role, expected in zip(ROLES, cells, strict=True):
            with transaction.atomic():
                response = request(world, route, path, method, role)
                problem = check(response, expected)
                if problem is None and guarded and role != "member":
                    if SECRET.encode() in body(response):
                        problem = f"{response.status_code} with A's private data"
                    elif method != "GET" and world.a_state() != before:
                        problem = f"{response.status_code}, and A's objects changed"
                transaction.set_rollback(True)
            if problem:
                wrong.append(f"{method} {path} as {role}: expected {expected}, got {problem}")
    assert not wrong, f"route {route.route!r}:\n" + "\n".join(wrong)
