"""``/api/v1/offers/``: members list and redeem (codes hidden until redeemed); editors
create and change offers; every other caller is refused."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from offers.models import Offer
from tests.factories import OfferFactory, UserFactory
from tests.offers.helpers import editor, superuser

pytestmark = pytest.mark.django_db

LIST = "/api/v1/offers/"


def _detail(offer: Offer) -> str:
    return f"{LIST}{offer.pk}/"


def _redeem(offer: Offer) -> str:
    return f"{LIST}{offer.pk}/redeem/"


def _client(user) -> APIClient:
    client = APIClient()
    _, key = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _payload(**overrides: object) -> dict:
    start = timezone.now().replace(microsecond=0)
    return {
        "title": "Spring ball",
        "description": "A ball for your feet.",
        "code": "SPRING",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(days=7)).isoformat(),
        "audience": "members",
        **overrides,
    }


# --- Members ---------------------------------------------------------------------------------


def test_codes_are_hidden_until_the_member_redeems(token_api):
    offer = OfferFactory(code="CALM20", max_redemptions=3)
    OfferFactory(audience="subscribers")  # not for this member
    listing = token_api.get(LIST).json()
    assert listing["count"] == 1
    (item,) = listing["results"]
    assert (item["id"], item["code"], item["redeemed"], item["remaining"]) == (
        offer.pk,
        None,
        False,
        3,
    )
    assert "CALM20" not in str(listing)
    assert token_api.get(_detail(offer)).json()["code"] is None

    first = token_api.post(_redeem(offer))
    assert first.status_code == 201
    assert (first.json()["code"], first.json()["created"]) == ("CALM20", True)
    again = token_api.post(_redeem(offer))
    assert again.status_code == 200
    assert (again.json()["code"], again.json()["created"]) == ("CALM20", False)
    assert again.json()["redeemed_at"] == first.json()["redeemed_at"]

    (item,) = token_api.get(LIST).json()["results"]
    assert (item["code"], item["redeemed"], item["remaining"]) == ("CALM20", True, 2)


def test_another_members_redemption_reveals_nothing(token_api):
    offer = OfferFactory(code="MINE")
    _client(UserFactory()).post(_redeem(offer))
    (item,) = token_api.get(LIST).json()["results"]
    assert item["code"] is None and item["redeemed"] is False


@pytest.mark.parametrize(
    ("fields", "status", "reason", "words"),
    [
        ({"starts_at_in": dt.timedelta(days=1)}, 409, "not_started", "This offer starts on"),
        ({"starts_at_in": -dt.timedelta(days=8)}, 409, "ended", "This offer ended on"),
        ({"audience": "subscribers"}, 403, "not_eligible", "email preferences"),
        (
            {"audience": "streak", "min_streak_days": 3},
            403,
            "not_eligible",
            "unlocks at a 3-day practice streak",
        ),
    ],
)
def test_an_offer_the_member_cannot_redeem_answers_why(token_api, fields, status, reason, words):
    shift = fields.pop("starts_at_in", dt.timedelta(hours=-1))
    offer = OfferFactory(starts_at=timezone.now() + shift, **fields)
    response = token_api.post(_redeem(offer))
    assert response.status_code == status
    assert response.json()["code"] == reason
    assert words in response.json()["detail"]
    assert token_api.get(_detail(offer)).status_code == 404


def test_beyond_the_limit_is_409_in_words(token_api):
    offer = OfferFactory(max_redemptions=1)
    _client(UserFactory()).post(_redeem(offer))
    response = token_api.post(_redeem(offer))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Sorry, this offer has run out: its 1 redemption has been claimed.",
        "code": "sold_out",
    }


def test_an_unknown_offer_is_404(token_api):
    assert token_api.post(f"{LIST}999999/redeem/").status_code == 404


def test_an_editor_creates_and_changes_an_offer():
    client = _client(editor())
    created = client.post(LIST, _payload(max_redemptions=50), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["title"], body["code"], body["status"], body["redemption_count"]) == (
        "Spring ball",
        "SPRING",
        "live",
        0,
    )
    offer = Offer.objects.get(pk=body["id"])
    changed = client.patch(
        _detail(offer), {"audience": "streak", "min_streak_days": 3}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    offer.refresh_from_db()
    assert (offer.audience, offer.min_streak_days, offer.title) == ("streak", 3, "Spring ball")
    ended = client.patch(_detail(offer), {"ends_at": timezone.now().isoformat()}, format="json")
    assert ended.json()["status"] == "ended"


def test_naive_times_are_read_in_the_editors_zone():
    client = _client(editor(timezone="America/New_York"))
    response = client.post(
        LIST,
        _payload(starts_at="2026-12-24T09:00", ends_at="2026-12-26T09:00"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    offer = Offer.objects.get(pk=response.json()["id"])
    assert offer.starts_at == dt.datetime(2026, 12, 24, 14, 0, tzinfo=dt.UTC)
    assert response.json()["starts_at"] == "2026-12-24T09:00:00-05:00"


def test_the_editors_get_the_rules_in_words():
    client = _client(editor())
    response = client.post(
        LIST,
        _payload(
            ends_at=(timezone.now() - dt.timedelta(days=1)).isoformat(),
            audience="streak",
            max_redemptions=0,
        ),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["max_redemptions"] == [
        "Allow at least one redemption, or leave it empty for no limit."
    ]
    offer = OfferFactory()
    errors = client.patch(
        _detail(offer), {"ends_at": offer.starts_at.isoformat()}, format="json"
    ).json()
    assert errors == {"ends_at": ["The end must be after the start."]}
    errors = client.patch(_detail(offer), {"audience": "streak"}, format="json").json()
    assert errors == {
        "min_streak_days": ["Enter the streak (in days) a member needs to unlock this offer."]
    }


def test_the_editors_cannot_set_the_count_or_the_announcement():
    client = _client(editor())
    offer = OfferFactory()
    response = client.patch(
        _detail(offer), {"redemption_count": 99, "announcement": 1}, format="json"
    )
    assert response.status_code == 200
    offer.refresh_from_db()
    assert offer.redemption_count == 0 and offer.announcement is None


# --- Who may do what -------------------------------------------------------------------------


def _callers() -> dict[str, APIClient]:
    staff_without_group = UserFactory(is_staff=True)
    group_without_staff = editor(is_staff=False)
    return {
        "anonymous": APIClient(),
        "member": _client(UserFactory()),
        "staff without the permission": _client(staff_without_group),
        "editor group without staff status": _client(group_without_staff),
        "editor": _client(editor()),
        "superuser": _client(superuser()),
    }


WRITE_STATUS = {
    "anonymous": 401,
    "member": 403,
    "staff without the permission": 403,
    "editor group without staff status": None,  # the group's permission is what counts
    "editor": None,  # allowed
    "superuser": None,
}


@pytest.mark.parametrize("caller", list(WRITE_STATUS))
def test_only_editors_and_superusers_write(caller):
    client = _callers()[caller]
    offer = OfferFactory()
    created = client.post(LIST, _payload(), format="json")
    patched = client.patch(_detail(offer), {"title": "Changed"}, format="json")
    expected = WRITE_STATUS[caller]
    if expected is None:
        assert (created.status_code, patched.status_code) == (201, 200)
    else:
        assert (created.status_code, patched.status_code) == (expected, expected)
        assert Offer.objects.count() == 1
        offer.refresh_from_db()
        assert offer.title != "Changed"
    if expected == 401:
        assert created["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("caller", list(WRITE_STATUS))
def test_every_signed_in_caller_lists_and_redeems_anonymous_gets_401(caller):
    client = _callers()[caller]
    offer = OfferFactory()
    listed = client.get(LIST)
    redeemed = client.post(_redeem(offer))
    if caller == "anonymous":
        assert (listed.status_code, redeemed.status_code) == (401, 401)
    else:
        assert (listed.status_code, redeemed.status_code) == (200, 201)


def test_put_and_delete_are_not_offered():
    client = _client(editor())
    offer = OfferFactory()
    assert client.put(_detail(offer), _payload(), format="json").status_code == 405
    assert client.delete(_detail(offer)).status_code == 405


def test_the_schema_documents_the_offers_endpoints(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    offers = schema["paths"]["/api/v1/offers/"]
    assert {"get", "post"} <= set(offers)
    detail = schema["paths"]["/api/v1/offers/{id}/"]
    assert {"get", "patch"} <= set(detail)
    redeem = schema["paths"]["/api/v1/offers/{id}/redeem/"]["post"]
    assert {"200", "201", "403", "404", "409", "429"} <= set(redeem["responses"])
    request = offers["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][request.rsplit("/", 1)[1]]["properties"]
    assert {
        "title",
        "description",
        "code",
        "starts_at",
        "ends_at",
        "audience",
        "min_streak_days",
        "max_redemptions",
    } <= set(fields)
