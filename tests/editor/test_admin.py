"""The back office for superusers: through the services, with messages for people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from routines.models import AuditEntry, Routine, Series
from tests.factories import BodyPartFactory, RoutineFactory, SeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _series_form(series: Series | None = None, **changes) -> dict:
    hands = BodyPartFactory(slug="hands", name="Hands")
    data = {
        "title": "Admin series",
        "slug": "admin-series",
        "body_parts": [hands.pk],
        "summary": "",
        "description": "",
        "cover_alt": "",
        "estimated_minutes": 10,
        "difficulty": "gentle",
        "safety_notes": "",
        "contraindications": "No wounds\nNo fever",
        "status": "draft",
        "publish_at_0": "",
        "publish_at_1": "",
        "next_installment": "",
        "routines-TOTAL_FORMS": 0,
        "routines-INITIAL_FORMS": 0,
        "routines-MIN_NUM_FORMS": 0,
        "routines-MAX_NUM_FORMS": 1000,
    }
    if series is not None:
        routines = list(series.routines.order_by("position"))
        data.update(
            {"routines-TOTAL_FORMS": len(routines), "routines-INITIAL_FORMS": len(routines)}
        )
        for index, routine in enumerate(routines):
            data.update(
                {
                    f"routines-{index}-id": routine.pk,
                    f"routines-{index}-series": series.pk,
                    f"routines-{index}-order": routine.position,
                    f"routines-{index}-title": routine.title,
                    f"routines-{index}-slug": routine.slug,
                    f"routines-{index}-equipment": routine.equipment,
                }
            )
    data.update(changes)
    return data


def _errors(response) -> dict:
    return response.context["adminform"].form.errors


def test_add_a_series_with_contraindications_as_lines(admin_client, superuser):
    response = admin_client.post(reverse("admin:routines_series_add"), _series_form())
    assert response.status_code == 302, _errors(response)
    series = Series.objects.get(slug="admin-series")
    assert series.contraindications == ["No wounds", "No fever"]
    entry = AuditEntry.objects.get(series=series)
    assert (entry.action, entry.actor) == ("create", superuser)
    page = admin_client.get(reverse("admin:routines_series_change", args=[series.pk]))
    assert "No wounds\nNo fever</textarea>" in page.content.decode()


def test_scheduled_without_a_date_is_a_field_error_in_words(admin_client):
    series = SeriesFactory(status="draft", slug="admin-series")
    RoutineFactory(series=series, steps=1)
    url = reverse("admin:routines_series_change", args=[series.pk])
    response = admin_client.post(url, _series_form(series, status="scheduled"))
    assert response.status_code == 200
    errors = _errors(response)
    assert errors["publish_at"] == ["Choose the date and time when this series goes live."]
    assert "violated" not in response.content.decode()
    series.refresh_from_db()
    assert series.status == "draft"


def test_an_empty_series_is_not_published_from_the_admin(admin_client):
    series = SeriesFactory(status="draft", slug="admin-series")
    url = reverse("admin:routines_series_change", args=[series.pk])
    response = admin_client.post(url, _series_form(series, status="published"))
    assert response.status_code == 200
    assert "Add at least one routine with at least one step" in _errors(response)["status"][0]


def test_status_changes_go_through_the_services(admin_client, superuser):
    series = SeriesFactory(status="draft", slug="admin-series")
    RoutineFactory(series=series, steps=1)
    url = reverse("admin:routines_series_change", args=[series.pk])
    when = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    response = admin_client.post(
        url,
        _series_form(
            series,
            status="scheduled",
            publish_at_0=when.strftime("%Y-%m-%d"),
            publish_at_1=when.strftime("%H:%M:%S"),
        ),
    )
    assert response.status_code == 302, _errors(response)
    series.refresh_from_db()
    assert series.status == "scheduled" and series.publish_at is not None
    response = admin_client.post(url, _series_form(series, status="published"))
    assert response.status_code == 302, _errors(response)
    series.refresh_from_db()
    assert series.status == "published" and series.published_at and series.publish_at is None
    response = admin_client.post(url, _series_form(series, status="draft"))
    assert "choose “Unpublished”" in _errors(response)["status"][0]
    actions = list(AuditEntry.objects.filter(series=series).order_by("pk").values_list("action"))
    assert ("schedule",) in actions and ("publish",) in actions


def test_routine_inline_reorders_and_adds_through_the_services(admin_client):
    series = SeriesFactory(status="draft", slug="admin-series")
    first = RoutineFactory(series=series, position=1, title="First")
    second = RoutineFactory(series=series, position=2, title="Second")
    data = _series_form(series)
    data.update(
        {
            "routines-0-order": 2,
            "routines-1-order": 1,
            "routines-TOTAL_FORMS": 3,
            "routines-2-series": series.pk,
            "routines-2-title": "Third",
            "routines-2-order": "",
        }
    )
    response = admin_client.post(reverse("admin:routines_series_change", args=[series.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(series.routines.order_by("position").values_list("title", "position")) == [
        ("Second", 1),
        ("First", 2),
        ("Third", 3),
    ]
    assert Routine.objects.get(title="Third").slug == "third"
    assert AuditEntry.objects.filter(action="reorder").exists()
    assert {first.pk, second.pk} <= set(series.routines.values_list("pk", flat=True))


def test_lists_filter_and_search(admin_client):
    SeriesFactory(title="Findable")
    for name in ("series", "routine", "auditentry"):
        url = reverse(f"admin:routines_{name}_changelist")
        assert admin_client.get(url, {"q": "Find"}).status_code == 200
    response = admin_client.get(
        reverse("admin:routines_series_changelist"), {"status__exact": "draft"}
    )
    assert response.status_code == 200


def test_the_audit_is_read_only(admin_client, editor_user):
    series = SeriesFactory()
    entry = AuditEntry.objects.create(series=series, series_title=series.title, action="edit")
    change = reverse("admin:routines_auditentry_change", args=[entry.pk])
    assert admin_client.get(change).status_code == 200  # view only
    assert admin_client.post(change, {"action": "publish"}).status_code == 403
    assert admin_client.get(reverse("admin:routines_auditentry_add")).status_code == 403
    delete = reverse("admin:routines_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk, action="edit").exists()


def test_removing_the_last_routine_of_a_live_series_is_refused_in_words(admin_client):
    series = SeriesFactory()
    only = RoutineFactory(series=series, steps=1)
    url = reverse("admin:routines_routine_delete", args=[only.pk])
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    page = response.content.decode()
    assert "must keep at least one routine with at least one step" in page
    assert "deleted successfully" not in page
    assert Routine.objects.filter(pk=only.pk).exists()
    changelist = admin_client.get(reverse("admin:routines_routine_changelist"))
    assert "delete_selected" not in changelist.content.decode()
