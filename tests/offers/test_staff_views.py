"""Staff pages: who may open them, the form (dates in the editor's zone, rules and image
checks in words), ending, the figures per day and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from offers.models import Offer, Redemption
from tests.factories import OfferFactory, UserFactory
from tests.offers.helpers import editor, superuser
from tests.offers.images import png_bytes

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _html(response) -> str:
    return response.content.decode()


def _form(**overrides: object) -> dict:
    return {
        "title": "Winter ball",
        "description": "A warm ball.",
        "code": "WINTER",
        "starts_at": "2026-12-24T09:00",
        "ends_at": "2026-12-31T18:00",
        "audience": "members",
        "min_streak_days": "",
        "max_redemptions": "100",
        "image_alt": "",
        **overrides,
    }


# --- Who may open what -----------------------------------------------------------------------


def _pages(offer: Offer) -> list[tuple[str, str, int]]:
    """(method, url, what an editor gets)."""
    base = f"/staff/offers/{offer.pk}/"
    return [
        ("get", "/staff/offers/", 200),
        ("get", "/staff/offers/new/", 200),
        ("get", base, 200),
        ("get", f"{base}edit/", 200),
        ("get", f"{base}redemptions.csv", 200),
        ("post", f"{base}end/", 302),
        ("post", f"{base}announce/", 302),
    ]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "caller",
    [
        "anonymous",
        "member",
        "staff without the permission",
        "editor without staff",
        "editor",
        "superuser",
    ],
)
def test_every_staff_page_needs_staff_with_the_permission(caller):
    offer = OfferFactory()
    if caller == "anonymous":
        client = Client()
    elif caller == "member":
        client = _signed_in(UserFactory())
    elif caller == "staff without the permission":
        client = _signed_in(UserFactory(is_staff=True))
    elif caller == "editor without staff":
        client = _signed_in(editor(is_staff=False))
    elif caller == "editor":
        client = _signed_in(editor())
    else:
        client = _signed_in(superuser())
    for method, url, allowed in _pages(offer):
        response = getattr(client, method)(url)
        if caller == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/?next="), url
        elif caller in {"editor", "editor without staff", "superuser"}:
            # The Editors group's permissions open the staff pages; staff status adds nothing.
            assert response.status_code == allowed, url
        else:
            assert response.status_code == 403, url
    offer.refresh_from_db()
    if caller not in {"editor", "editor without staff", "superuser"}:
        assert offer.status_at(timezone.now()) == "live" and offer.announcement is None


def test_the_csv_also_needs_the_redemptions_permission():
    offer = OfferFactory()
    user = editor()
    user.groups.first().permissions.remove(Permission.objects.get(codename="view_redemption"))
    client = _signed_in(user)
    assert client.get(f"/staff/offers/{offer.pk}/redemptions.csv").status_code == 403
    assert "redemptions.csv" not in _html(client.get(f"/staff/offers/{offer.pk}/"))


# --- The form --------------------------------------------------------------------------------


def test_an_editor_creates_an_offer_in_their_own_time_zone(editor_client):
    response = editor_client.post("/staff/offers/new/", _form())
    offer = Offer.objects.get()
    assert response["Location"] == f"/staff/offers/{offer.pk}/"
    # Paris is UTC+1 in December.
    assert offer.starts_at == dt.datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
    assert offer.ends_at == dt.datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert offer.created_by == editor_client.editor
    page = _html(editor_client.get(response["Location"]))
    assert "24 December 2026 09:00" in page and "Europe/Paris" in page
    edit = _html(editor_client.get(f"/staff/offers/{offer.pk}/edit/"))
    assert 'value="2026-12-24T09:00"' in edit


def test_the_form_says_each_rule_on_its_field(editor_client):
    response = editor_client.post(
        "/staff/offers/new/",
        _form(ends_at="2026-12-24T08:00", audience="streak", max_redemptions="0"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["ends_at"] == ["The end must be after the start."]
    assert errors["min_streak_days"] == [
        "Enter the streak (in days) a member needs to unlock this offer."
    ]
    assert errors["max_redemptions"] == [
        "Allow at least one redemption, or leave it empty for no limit."
    ]
    page = _html(response)
    assert 'aria-invalid="true"' in page and 'role="alert"' in page
    assert not Offer.objects.exists()


def test_editing_keeps_the_limit_above_the_count(editor_client):
    offer = OfferFactory(max_redemptions=10)
    Offer.objects.filter(pk=offer.pk).update(redemption_count=4)
    response = editor_client.post(
        f"/staff/offers/{offer.pk}/edit/",
        _form(max_redemptions="3", starts_at="2026-12-01T09:00"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["max_redemptions"] == [
        "4 members already redeemed this offer: the limit cannot be lower than that."
    ]
    response = editor_client.post(
        f"/staff/offers/{offer.pk}/edit/", _form(title="Renamed", max_redemptions="4")
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.title, offer.max_redemptions, offer.redemption_count) == ("Renamed", 4, 4)


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (SimpleUploadedFile("x.png", b"not a picture", "image/png"), "Upload a valid image"),
        (
            SimpleUploadedFile("x.gif", png_bytes(image_format="GIF"), "image/gif"),
            "File extension “gif” is not allowed",
        ),
        (
            SimpleUploadedFile("x.png", png_bytes(image_format="GIF"), "image/png"),
            "GIF images are not accepted. Upload a JPEG, PNG or WebP image.",
        ),
        (
            SimpleUploadedFile("x.png", png_bytes(size=(6001, 2)), "image/png"),
            "The image is 6001 by 2 pixels; each side may be at most 6000.",
        ),
    ],
)
def test_only_real_pictures_of_a_sensible_size_are_accepted(
    editor_client, settings, tmp_path, upload, words
):
    settings.MEDIA_ROOT = tmp_path
    response = editor_client.post("/staff/offers/new/", {**_form(), "image": upload})
    assert response.status_code == 400
    assert any(words in e for e in response.context["form"].errors["image"])
    assert not Offer.objects.exists()


def test_a_picture_over_the_size_limit_is_refused(editor_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.OFFERS_IMAGE_MAX_BYTES = 100
    content = png_bytes(size=(64, 64)) + b"\0" * 200
    upload = SimpleUploadedFile("x.png", content, "image/png")
    response = editor_client.post("/staff/offers/new/", {**_form(), "image": upload})
    size = len(content)
    assert response.context["form"].errors["image"] == [
        f"The image is {size}\xa0bytes; the largest allowed is 100\xa0bytes."
    ]
    assert "at most 100\xa0bytes" in _html(editor_client.get("/staff/offers/new/"))


def test_a_picture_is_stored_and_shown_with_its_description(editor_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("ball.jpg", png_bytes(image_format="JPEG"), "image/jpeg")
    response = editor_client.post(
        "/staff/offers/new/", {**_form(), "image": upload, "image_alt": "A green ball"}
    )
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert (tmp_path / offer.image.name).exists()
    member = _signed_in(UserFactory())
    offer.starts_at = timezone.now() - dt.timedelta(hours=1)
    offer.save()
    page = _html(member.get("/offers/"))
    assert f'src="{offer.image.url}" alt="A green ball"' in page


# --- Ending, figures, export ------------------------------------------------------------------


def test_ending_a_live_offer_and_refusing_to_end_a_scheduled_one(editor_client):
    live = OfferFactory()
    response = editor_client.post(f"/staff/offers/{live.pk}/end/", follow=True)
    assert "The offer has ended. Codes already given stay valid." in _html(response)
    live.refresh_from_db()
    assert live.status_at(timezone.now()) == "ended"
    scheduled = OfferFactory(starts_at=timezone.now() + dt.timedelta(days=2))
    response = editor_client.post(f"/staff/offers/{scheduled.pk}/end/", follow=True)
    assert "has not started yet: change its dates" in _html(response)


def test_the_detail_page_shows_redemptions_per_day_as_a_chart_and_a_table(editor_client):
    start = timezone.now() - dt.timedelta(days=3)
    offer = OfferFactory(starts_at=start, max_redemptions=20)
    for days_ago in (2, 2, 1):
        Redemption.objects.create(
            offer=offer,
            user=UserFactory(),
            redeemed_at=timezone.now() - dt.timedelta(days=days_ago),
        )
    Offer.objects.filter(pk=offer.pk).update(redemption_count=3)
    page = _html(editor_client.get(f"/staff/offers/{offer.pk}/"))
    assert 'role="img" aria-labelledby="redemptions-title redemptions-desc"' in page
    assert "3 redemptions in the days shown; the busiest day had 2." in page
    assert page.count("<rect ") == 4  # the offer's four days so far
    assert "Show as a table" in page
    assert "3 / 20" in page


def test_the_csv_export_is_streamed_complete_and_formula_safe(editor_client):
    offer = OfferFactory(title='=HYPERLINK("x")')
    sneaky = UserFactory(email="a@example.com", display_name="+cmd|' /C calc'!A0")
    plain = UserFactory(email="b@example.com", display_name="Bea")
    Redemption.objects.create(
        offer=offer, user=sneaky, redeemed_at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    )
    Redemption.objects.create(
        offer=offer, user=plain, redeemed_at=dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    )
    response = editor_client.get(f"/staff/offers/{offer.pk}/redemptions.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == f'attachment; filename="kneadful-offer-{offer.pk}.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["redeemed_at_utc", "member_id", "email", "display_name", "offer_id", "offer"]
    assert rows[1] == [
        "2026-12-01T09:00:00+00:00",
        str(sneaky.pk),
        "a@example.com",
        "'+cmd|' /C calc'!A0",
        str(offer.pk),
        '\'=HYPERLINK("x")',
    ]
    assert rows[2][2:4] == ["b@example.com", "Bea"]
    assert len(rows) == 3


def test_the_csv_export_queries_do_not_grow_with_rows(editor_client, django_assert_max_num_queries):
    offer = OfferFactory()
    for _ in range(30):
        Redemption.objects.create(offer=offer, user=UserFactory(), redeemed_at=timezone.now())
    with django_assert_max_num_queries(8):
        response = editor_client.get(f"/staff/offers/{offer.pk}/redemptions.csv")
        body = b"".join(response.streaming_content)
    assert body.count(b"\n") == 31
