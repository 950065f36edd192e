"""Every HTML page Kneadful serves, audited by axe-core in Chromium at phone and desktop
width (issue 14): nothing serious or critical on any of them.

The page list is checked against the URL conf: every named route outside the JSON API
is either in ``PAGES`` (audited here, as a role that may see it) or in ``NOT_PAGES`` (it
answers no HTML page to a GET), so a new page cannot escape the audit. Pages that only
follow a POST (an unsubscribe confirmation, a reminder action's outcome, the 429 page)
and the error pages are reached on the way, as a visitor reaches them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.emails import preferences_token_make, unsubscribe_token_make
from accounts.models import ApiToken, User
from accounts.services import api_token_create
from newsletters import links as newsletter_links
from newsletters.models import Campaign, Subscriber
from offers.models import Offer
from reminders.models import ReminderOccurrence, ReminderSchedule
from reminders.services import reminder_action_token, reminder_schedule_create
from routines.models import Routine, Series, SessionLog, Step
from routines.services import session_log_create
from tests.e2e.test_members_layout import AXE, DESKTOP, PHONE
from tests.factories import (
    CampaignFactory,
    OfferFactory,
    RoutineFactory,
    SeriesFactory,
    SubscriberFactory,
    UserFactory,
)

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.e2e, pytest.mark.urls("tests.wellness.urls_with_errors")]

ANON, MEMBER, STAFF = "visitor", "member", "staff"

# Route name -> the roles whose view of it is audited.
PAGES: dict[str, tuple[str, ...]] = {
    "home": (ANON, MEMBER),
    "api-docs": (ANON,),
    # allauth, in Kneadful's templates
    "account_login": (ANON,),
    "account_signup": (ANON,),
    "account_logout": (MEMBER,),
    "account_inactive": (ANON,),
    "account_reauthenticate": (MEMBER,),
    "account_request_reauthentication_code": (MEMBER,),
    "account_email": (MEMBER,),
    "account_email_verification_sent": (ANON,),
    "account_confirm_email": (ANON,),
    "account_change_password": (MEMBER,),
    "account_set_password": (STAFF,),  # the staff user here has no usable password
    "account_reset_password": (ANON,),
    "account_reset_password_done": (ANON,),
    "account_reset_password_from_key": (ANON,),
    "account_reset_password_from_key_done": (ANON,),
    # the member's account
    "accounts:profile": (MEMBER,),
    "accounts:delete": (MEMBER,),
    "accounts:email_preferences": (MEMBER,),
    "reminders:list": (MEMBER,),
    "reminders:create": (MEMBER,),
    "reminders:edit": (MEMBER,),
    "reminders:delete": (MEMBER,),
    "reminders:action": (ANON,),
    # links in emails
    "email:unsubscribe": (ANON,),
    "email:preferences": (ANON,),
    "newsletters:subscribe": (ANON,),
    "newsletters:subscribe_done": (ANON,),
    "newsletters:confirm": (ANON,),
    "newsletters:manage": (ANON,),
    "newsletters:unsubscribe": (ANON,),
    # library, player, logs, progress
    "routines:library": (ANON, MEMBER),
    "routines:series": (ANON, MEMBER),
    "routines:safety": (MEMBER,),
    "routines:routine": (MEMBER,),
    "routines:play": (MEMBER,),
    "routines:finish": (MEMBER,),
    "routines:sessions": (MEMBER,),
    "routines:session_new": (MEMBER,),
    "routines:session": (MEMBER,),
    "routines:session_edit": (MEMBER,),
    "routines:session_delete": (MEMBER,),
    "routines:dashboard": (MEMBER,),
    "offers:list": (MEMBER,),
    # staff: the editor, campaigns, offers, the admin
    "editor:series_list": (STAFF,),
    "editor:series_new": (STAFF,),
    "editor:series": (STAFF,),
    "editor:series_edit": (STAFF,),
    "editor:series_history": (STAFF,),
    "editor:series_preview": (STAFF,),
    "editor:routine_preview": (STAFF,),
    "editor:routine_new": (STAFF,),
    "editor:routine_edit": (STAFF,),
    "editor:routine_remove": (STAFF,),
    "editor:step_new": (STAFF,),
    "editor:step_edit": (STAFF,),
    "editor:step_remove": (STAFF,),
    "newsletters:campaign_list": (STAFF,),
    "newsletters:campaign_new": (STAFF,),
    "newsletters:campaign_detail": (STAFF,),
    "newsletters:campaign_edit": (STAFF,),
    "newsletters:campaign_preview": (STAFF,),
    "offers:staff_list": (STAFF,),
    "offers:staff_new": (STAFF,),
    "offers:staff_detail": (STAFF,),
    "offers:staff_edit": (STAFF,),
    "admin:index": (STAFF,),
    "admin:routines_series_add": (STAFF,),
    "admin:routines_series_change": (STAFF,),
}

# Route name -> why a GET answers no HTML page of its own.
POST_ONLY = "POST only: a GET answers 405"
NOT_PAGES: dict[str, str] = {
    "api-schema": "the OpenAPI document (YAML)",
    "healthz": "JSON for load balancers",
    "account_confirm_reauthentication_code": "only after a code was sent: else a redirect",
    "account_confirm_login_code": "only after a code was sent: else a redirect",
    "accounts:token_create": POST_ONLY,
    "accounts:token_revoke": POST_ONLY,
    "accounts:export": "the member's data as JSON",
    "reminders:pause": POST_ONLY,
    "newsletters:campaign_progress": "JSON polled by the campaign page",
    "newsletters:campaign_send": POST_ONLY,
    "newsletters:campaign_schedule": POST_ONLY,
    "newsletters:campaign_unschedule": POST_ONLY,
    "newsletters:campaign_pause": POST_ONLY,
    "newsletters:campaign_resume": POST_ONLY,
    "newsletters:campaign_cancel": POST_ONLY,
    "newsletters:campaign_test": POST_ONLY,
    "offers:redeem": POST_ONLY,
    "offers:staff_end": POST_ONLY,
    "offers:staff_announce": POST_ONLY,
    "offers:staff_export": "CSV",
    "routines:favourite": POST_ONLY,
    "routines:session_export": "CSV",
    "routines:rest_today": POST_ONLY,
    "routines:practice_plan": POST_ONLY,
    "editor:series_publish": POST_ONLY,
    "editor:series_schedule": POST_ONLY,
    "editor:series_unschedule": POST_ONLY,
    "editor:series_unpublish": POST_ONLY,
    "editor:routines_order": POST_ONLY,
    "editor:routine_move": POST_ONLY,
    "editor:steps_order": POST_ONLY,
    "editor:step_move": POST_ONLY,
}


def named_routes() -> Iterator[tuple[str, str, list[str]]]:
    """(name, pattern, parameter names) of every named route of the site, outside the JSON
    API (/api/v1/, whose browsable pages exist only with DEBUG) and outside the Django
    admin's model pages other than the ones in ``PAGES`` (Django's own templates)."""

    def walk(patterns, prefix: str, namespace: str) -> Iterator[tuple[str, str, list[str]]]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = entry.namespace or ""
                space = f"{namespace}:{inner}" if namespace and inner else namespace or inner
                yield from walk(entry.url_patterns, route, space)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                params = list(getattr(entry.pattern, "converters", {})) or list(
                    entry.pattern.regex.groupindex
                )
                yield name, route, params

    for name, route, params in walk(get_resolver("wellness.urls").url_patterns, "", ""):
        if route.startswith("api/v1/"):
            continue
        if name.startswith("admin:") and name not in PAGES:
            continue
        yield name, route, params


@dataclasses.dataclass
class World:
    """One of everything a page's URL can name."""

    member: User
    staff: User
    series: Series
    safety_series: Series
    routine: Routine
    step: Step
    log: SessionLog
    reminder: ReminderSchedule
    occurrence: ReminderOccurrence
    api_token: ApiToken
    campaign: Campaign
    offer: Offer
    reader: Subscriber
    pending_reader: Subscriber
    unverified: EmailAddress

    def kwargs(self, name: str, params: list[str]) -> dict[str, object]:
        """The URL parameters of route ``name`` in this world."""
        namespace = name.rpartition(":")[0]
        objects = {
            "routines": self.routine,
            "editor": self.routine,
            "newsletters": self.campaign,
            "offers": self.offer,
            "reminders": self.reminder,
            "accounts": self.api_token,
            "admin": self.series,
        }
        tokens: dict[str, Callable[[], str]] = {
            "email:unsubscribe": lambda: unsubscribe_token_make(
                user=self.member, category="newsletter"
            ),
            "email:preferences": lambda: preferences_token_make(user=self.member),
            "newsletters:confirm": lambda: newsletter_links.confirm_token_make(
                subscriber=self.pending_reader, category="newsletter"
            ),
            "newsletters:manage": lambda: newsletter_links.manage_token_make(
                subscriber=self.reader
            ),
            "newsletters:unsubscribe": lambda: newsletter_links.unsubscribe_token_make(
                subscriber=self.reader, category="newsletter"
            ),
            "reminders:action": lambda: reminder_action_token(
                occurrence_id=self.occurrence.pk, action="done"
            ),
        }
        values = {
            "slug": (self.safety_series if name == "routines:safety" else self.series).slug,
            "pk": objects[namespace].pk if namespace in objects else None,
            "object_id": self.series.pk,
            "step_pk": self.step.pk,
            "log_id": self.log.pk,
            "action": "done",
            "uidb36": user_pk_to_url_str(self.member),
        }
        if name == "account_confirm_email":
            values["key"] = EmailConfirmationHMAC(self.unverified).key
        elif name == "account_reset_password_from_key":
            values["key"] = default_token_generator.make_token(self.member)
        if name in tokens:
            values["token"] = tokens[name]()
        return {param: values[param] for param in params}


def world_build() -> World:
    member = UserFactory(display_name="Robin")
    staff = UserFactory(is_staff=True, is_superuser=True)
    staff.set_unusable_password()
    staff.save()
    routine = RoutineFactory(title="Hand reset", steps=2)
    series = routine.series
    safety_series = SeriesFactory(contraindications=["I have no wound on my hands."])
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    log, _ = session_log_create(
        user=member,
        routine=routine,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=6),
        tension_before=6,
        tension_after=3,
        rating=4,
    )
    reminder = reminder_schedule_create(
        user=member, weekdays=[0, 2, 4], local_time=dt.time(8, 0), routine=routine
    )
    occurrence = ReminderOccurrence.objects.create(
        schedule=reminder,
        user=member,
        due_at=start,
        local_date=start.date(),
        routine=routine,
        status="sent",
    )
    api_token, _ = api_token_create(user=member, name="Phone")
    unverified = EmailAddress.objects.create(
        user=UserFactory(verified=False), email="new@example.com", verified=False
    )
    return World(
        member=member,
        staff=staff,
        series=series,
        safety_series=safety_series,
        routine=routine,
        step=routine.steps.order_by("position").first(),
        log=log,
        reminder=reminder,
        occurrence=occurrence,
        api_token=api_token,
        campaign=CampaignFactory(subject="Autumn letter"),
        offer=OfferFactory(title="Foam roller, half price"),
        reader=SubscriberFactory(),
        pending_reader=SubscriberFactory(newsletter_confirmed_at=None),
        unverified=unverified,
    )


def page_urls(world: World) -> Iterator[tuple[str, str, str]]:
    """(role, route name, path) of every page in ``PAGES``."""
    params = {name: p for name, _, p in named_routes()}
    for name, roles in PAGES.items():
        path = reverse(name, kwargs=world.kwargs(name, params[name]))
        for role in roles:
            yield role, name, path


@pytest.mark.django_db
def test_every_route_is_audited_or_answers_no_page():
    """A new route is either in PAGES or in NOT_PAGES with its reason: nothing escapes."""
    names = {name for name, _, _ in named_routes()}
    assert names - PAGES.keys() - NOT_PAGES.keys() == set(), "add to PAGES or NOT_PAGES"
    assert PAGES.keys() & NOT_PAGES.keys() == set()
    assert (PAGES.keys() | NOT_PAGES.keys()) - names == set(), "no longer a route"

    world = world_build()
    clients = {ANON: Client(), MEMBER: Client(), STAFF: Client()}
    clients[MEMBER].force_login(world.member)
    clients[STAFF].force_login(world.staff)
    params = {name: p for name, _, p in named_routes()}
    for name, reason in NOT_PAGES.items():
        response = clients[STAFF].get(reverse(name, kwargs=world.kwargs(name, params[name])))
        content_type = response.get("Content-Type", "")
        if reason == POST_ONLY:
            assert response.status_code == 405, name
        else:
            assert not (response.status_code == 200 and content_type.startswith("text/html")), name
    for role, name, path in page_urls(world):
        response = clients[role].get(path, follow=True)
        assert response.status_code == 200, (name, role, path, response.status_code)
        assert response["Content-Type"].startswith("text/html"), name
        # The page itself, not one it sends its visitor to (allauth's reset link moves its
        # key into the session and answers at a URL without it: the same page).
        if name != "account_reset_password_from_key":
            assert response.redirect_chain == [], (name, role, response.redirect_chain)


def _signed_in(new_context, live_server, user: User | None):
    """A page of a new browser context, signed in as ``user`` (None: a visitor)."""
    context = new_context(viewport=DESKTOP)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


# axe-core's default rules (WCAG 2.x A/AA and best practices), as AXE.run runs them.
RUN_AXE = "axe.run({resultTypes: ['violations']}).then(results => results.violations)"


class Audit:
    """Runs axe-core on page after page, at phone and at desktop width, and keeps every
    serious or critical violation (with the page and the rule) for one assertion."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.pages = 0

    def __call__(self, page, label: str) -> None:
        self.pages += 1
        # The page was loaded at desktop width; the phone layout is the same document
        # under the narrow media queries, then back to desktop for the next page.
        page.evaluate(AXE.axe_script)  # once per document, for both runs
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            for violation in page.evaluate(RUN_AXE):
                if violation.get("impact") in {"serious", "critical"}:
                    targets = [" ".join(map(str, n["target"])) for n in violation["nodes"][:3]]
                    self.found.append(
                        f"{label} ({width}): {violation['id']} ({violation['impact']}) {targets}"
                    )
        page.set_viewport_size(DESKTOP)


def _post_pages(pages: dict, live_server, world: World, audit: Audit) -> None:
    """The pages a button leads to: confirmations of the links in emails, a reminder
    action's outcome, the 429 page."""
    page = pages[ANON]
    confirmations = [
        ("email:unsubscribe", re.compile("^(Unsubscribe from|Subscribe to)")),
        ("newsletters:unsubscribe", re.compile("^Unsubscribe from")),
        ("newsletters:confirm", "Confirm"),
        ("reminders:action", "Yes, I did it"),
    ]
    params = {name: p for name, _, p in named_routes()}
    for name, button in confirmations:
        page.goto(live_server.url + reverse(name, kwargs=world.kwargs(name, params[name])))
        with page.expect_navigation():
            page.get_by_role("button", name=button).first.click()
        audit(page, f"{name} after its button")
    # A second subscription from the same address within the minute: the 429 page.
    for _ in range(2):
        page.goto(live_server.url + reverse("newsletters:subscribe"))
        page.get_by_label("Email").fill("reader@example.org")
        page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts")
    audit(page, "429 (newsletter subscribe)")


def _error_pages(pages: dict, live_server, audit: Audit) -> None:
    """403, 404, 500 and 503 (the database lost) as a production site shows them (DEBUG off)."""
    with override_settings(DEBUG=False):
        for role, path, status in [
            (MEMBER, reverse("editor:series_list"), 403),
            (ANON, "/no-such-page/", 404),
            (ANON, "/broken/", 500),
            (ANON, "/database-down/", 503),
        ]:
            response = pages[role].goto(live_server.url + path)
            assert response is not None and response.status == status, (path, response)
            audit(pages[role], f"{status} page")


@pytest.mark.django_db(transaction=True)
def test_every_page_at_phone_and_desktop_width_has_no_serious_axe_violation(
    new_context, live_server, settings
):
    settings.ACCOUNT_RATE_LIMITS = {"newsletter_subscribe": "1/m/ip"}
    world = world_build()
    pages = {
        ANON: _signed_in(new_context, live_server, None),
        MEMBER: _signed_in(new_context, live_server, world.member),
        STAFF: _signed_in(new_context, live_server, world.staff),
    }
    audit = Audit()
    for role, name, path in page_urls(world):
        page = pages[role]
        if name == "newsletters:campaign_preview":
            # The email itself, which the campaign page shows in a sandboxed frame (where
            # no script runs, axe's neither): audited as a page of its own.
            response = page.request.get(live_server.url + path)
            page.set_content(response.text())
        else:
            response = page.goto(live_server.url + path)
        assert response is not None and response.ok, (name, role, response and response.status)
        if name == "api-docs":
            page.locator(".opblock").first.wait_for()  # Swagger UI has drawn the operations
        audit(page, f"{name} as {role}")
        if name == "api-docs":  # and with an operation open, ready to try
            page.locator(".opblock-summary-control").first.click()
            page.get_by_role("button", name="Try it out").first.click()
            expect(page.locator("textarea.body-param__text").first).to_be_visible()
            audit(page, "api-docs, an operation open to try")
    _post_pages(pages, live_server, world, audit)
    _error_pages(pages, live_server, audit)
    assert audit.pages == sum(map(len, PAGES.values())) + 10
    assert audit.found == [], "\n".join(audit.found)
