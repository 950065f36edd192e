"""One world for the permission matrix, built once per module (like ``setUpTestData``).

Member A ("member") owns a session log, a reminder schedule and its sent occurrence, an
API token, a rest day, a practice plan, a favourite, email preferences and an offer
redemption; member B ("other") owns nothing of the kind and is sent to A's objects;
an editor (the "Editors" group, not staff) and a superuser. The library holds a
published series and a draft one (each with a routine and steps); there is a draft
campaign, a live offer for all members, and a newsletter subscriber who is not a
member. A's private texts carry ``SECRET``, which no other role may ever read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils import timezone

from accounts.emails import preferences_token_make, unsubscribe_token_make
from accounts.models import EmailPreference, EmailSuppression, User
from accounts.services import api_token_create
from newsletters import links
from newsletters.models import Campaign, Delivery, Subscriber
from offers.models import Offer
from offers.services import offer_redeem
from reminders.models import ReminderOccurrence, ReminderSchedule
from reminders.services import reminder_action_token, reminder_schedule_create
from routines.models import Routine, Series, SessionLog, Step
from routines.services import (
    favourite_set,
    practice_plan_update,
    rest_day_mark,
    series_update,
    session_log_create,
)
from tests.factories import (
    CampaignFactory,
    EditorFactory,
    OfferFactory,
    RoutineFactory,
    SeriesFactory,
    SubscriberFactory,
    UserFactory,
)

ROLES = ("anonymous", "member", "other", "editor", "superuser")
SECRET = "matrix-secret-7f3a"  # in A's notes and token name: only A may ever read it


@dataclass
class World:
    users: dict[str, User | None]
    live: Series
    live_routine: Routine
    draft: Series
    draft_routine: Routine
    draft_step: Step
    log: SessionLog
    schedule: ReminderSchedule
    occurrence: ReminderOccurrence
    token_id: int
    offer: Offer
    campaign: Campaign
    subscriber: Subscriber
    session_cookies: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    baseline: tuple = ()  # a_state() once the world is built

    @property
    def a(self) -> User:
        return self.users["member"]

    def page_client(self, role: str) -> Client:
        """A client signed in as ``role``, with no cookie but the session's (made once with
        ``force_login``): a cell that logs out or rotates it leaves the others alone. One
        client per role, so that its handler loads the middleware once."""
        client = self.clients.setdefault(role, Client())
        client.cookies = SimpleCookie()
        if role in self.session_cookies:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.session_cookies[role]
        return client

    def api_headers(self, role: str) -> dict[str, str]:
        """``Authorization: Token …``: the API's own credentials (the role's real token)."""
        key = self.api_keys.get(role)
        return {"HTTP_AUTHORIZATION": f"Token {key}"} if key else {}

    def a_state(self) -> tuple:
        """What another role must never change of A's: the log, the schedule, the token."""
        from accounts.models import ApiToken

        log = SessionLog.objects.filter(pk=self.log.pk).values_list("notes", "duration_seconds")
        schedule = ReminderSchedule.objects.filter(pk=self.schedule.pk).values_list(
            "weekdays", "local_time", "active"
        )
        return (list(log), list(schedule), ApiToken.objects.filter(pk=self.token_id).exists())

    # --- path parameters: always A's objects ---------------------------------------------

    def signed(self) -> dict[str, str]:
        """Tokens of the login-free links, all naming A (or the visitor subscriber)."""
        return {
            "email_unsubscribe": unsubscribe_token_make(user=self.a, category="newsletter"),
            "email_preferences": preferences_token_make(user=self.a),
            "reminder_done": reminder_action_token(occurrence_id=self.occurrence.pk, action="done"),
            "nl_confirm": links.confirm_token_make(subscriber=self.subscriber, category="offers"),
            "nl_manage": links.manage_token_make(subscriber=self.subscriber),
            "nl_unsubscribe": links.unsubscribe_token_make(
                subscriber=self.subscriber, category="newsletter"
            ),
            "email_confirm": EmailConfirmationHMAC(
                EmailAddress.objects.get(user=self.a, verified=False)
            ).key,
            "reset_uid": user_pk_to_url_str(self.a),
            "reset_key": default_token_generator.make_token(self.a),
        }


def build_world() -> World:
    users: dict[str, User | None] = {
        "anonymous": None,
        "member": UserFactory(display_name="Member A"),
        "other": UserFactory(display_name="Member B"),
        "editor": EditorFactory(display_name="Editor"),
        "superuser": UserFactory(display_name="Root", is_staff=True, is_superuser=True),
    }
    a = users["member"]
    live = SeriesFactory(title="Live series", slug="matrix-live")
    live_routine = RoutineFactory(series=live, title="Live routine", steps=2)
    draft = SeriesFactory(title="Draft series", slug="matrix-draft", status=Series.Status.DRAFT)
    draft_routine = RoutineFactory(series=draft, title="Draft routine", steps=2)
    # An audit entry, so that every admin page has an object to show.
    series_update(actor=users["editor"], series=draft, summary="Still a draft.")

    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    log, _ = session_log_create(
        user=a,
        routine=live_routine,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=10),
        notes=f"A's private note {SECRET}",
    )
    rest_day_mark(user=a, local_date=timezone.localdate() - dt.timedelta(days=1))
    practice_plan_update(user=a, rest_weekdays=[6], rest_days_per_week=2)
    favourite_set(user=a, series=live, favourite=True)
    EmailPreference.objects.update_or_create(user=a, defaults={"newsletter": True})
    # A second address A has not confirmed yet: its confirmation link is A's to open.
    EmailAddress.objects.create(user=a, email="a-second@example.com", verified=False)
    schedule = reminder_schedule_create(
        user=a, weekdays=[0, 2, 4], local_time=dt.time(8, 0), routine=live_routine
    )
    occurrence = ReminderOccurrence.objects.create(
        schedule=schedule,
        user=a,
        due_at=start,
        local_date=start.date(),
        routine=live_routine,
        status=ReminderOccurrence.Status.SENT,
    )
    token, _ = api_token_create(user=a, name=f"A's token {SECRET}")

    offer = OfferFactory(title="Matrix offer")
    offer_redeem(offer_id=offer.pk, user=a)
    campaign = CampaignFactory(subject="Matrix letter", created_by=users["editor"])
    subscriber = SubscriberFactory(email="visitor@example.org")
    Delivery.objects.create(campaign=campaign, subscriber=subscriber)
    EmailSuppression.objects.create(address="bounced@example.org")

    world = World(
        users=users,
        live=live,
        live_routine=live_routine,
        draft=draft,
        draft_routine=draft_routine,
        draft_step=draft_routine.steps.order_by("position").first(),
        log=log,
        schedule=schedule,
        occurrence=occurrence,
        token_id=token.pk,
        offer=offer,
        campaign=campaign,
        subscriber=subscriber,
    )
    for role, user in users.items():
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        world.session_cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        if role != "member":
            _, world.api_keys[role] = api_token_create(user=user, name=f"{role} key")
    _, world.api_keys["member"] = api_token_create(user=a, name="A's second key")
    world.baseline = world.a_state()
    return world
