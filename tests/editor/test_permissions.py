"""Who may open every staff page and call every staff endpoint.

Anonymous visitors are sent to log in (pages) or get 401 (API); members and staff
without the editors' permission get 403; editors and superusers get through.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from routines.models import Series
from tests.editor.conftest import ROLES, user_for
from tests.factories import image_upload

pytestmark = pytest.mark.django_db

ALLOWED = {"editor", "superuser"}


def _series(lib):
    return {"slug": lib.draft.slug}


def _routine(lib):
    return {"slug": lib.draft.slug, "pk": lib.routine.pk}


def _step(lib):
    return {"slug": lib.draft.slug, "pk": lib.routine.pk, "step_pk": lib.step.pk}


# (method, URL name, kwargs, POST data)
PAGES = [
    ("get", "series_list", lambda lib: {}, None),
    ("get", "series_new", lambda lib: {}, None),
    (
        "post",
        "series_new",
        lambda lib: {},
        lambda lib: {
            "title": "Made here",
            "body_parts": [lib.draft.body_parts.get().pk],
            "estimated_minutes": 5,
            "difficulty": "gentle",
        },
    ),
    ("get", "series", _series, None),
    ("get", "series_edit", _series, None),
    (
        "post",
        "series_edit",
        _series,
        lambda lib: {
            "title": "Renamed",
            "body_parts": [lib.draft.body_parts.get().pk],
            "estimated_minutes": 5,
            "difficulty": "firm",
        },
    ),
    ("get", "series_history", _series, None),
    ("get", "series_preview", _series, None),
    ("get", "routine_preview", _routine, None),
    ("post", "series_publish", _series, lambda lib: {}),
    ("post", "series_schedule", _series, lambda lib: {"date": "2099-01-01", "time": "09:00"}),
    ("post", "series_unschedule", _series, lambda lib: {}),
    ("post", "series_unpublish", lambda lib: {"slug": lib.published.slug}, lambda lib: {}),
    ("get", "routine_new", _series, None),
    ("post", "routine_new", _series, lambda lib: {"title": "Third routine"}),
    (
        "post",
        "routines_order",
        _series,
        lambda lib: {"order": [lib.other.pk, lib.routine.pk]},
    ),
    ("get", "routine_edit", _routine, None),
    ("post", "routine_edit", _routine, lambda lib: {"title": "Renamed routine"}),
    ("get", "routine_remove", lambda lib: {"slug": lib.draft.slug, "pk": lib.other.pk}, None),
    (
        "post",
        "routine_remove",
        lambda lib: {"slug": lib.draft.slug, "pk": lib.other.pk},
        lambda lib: {},
    ),
    ("post", "routine_move", _routine, lambda lib: {"direction": "down"}),
    ("get", "step_new", _routine, None),
    (
        "post",
        "step_new",
        _routine,
        lambda lib: {
            "title": "New",
            "instruction": "Press.",
            "duration_seconds": 5,
            "repetitions": 1,
        },
    ),
    (
        "post",
        "steps_order",
        _routine,
        lambda lib: {
            "order": list(lib.routine.steps.order_by("-position").values_list("pk", flat=True))
        },
    ),
    ("get", "step_edit", _step, None),
    (
        "post",
        "step_edit",
        _step,
        lambda lib: {
            "title": "Edited",
            "instruction": "Press.",
            "duration_seconds": 9,
            "repetitions": 1,
        },
    ),
    ("get", "step_remove", _step, None),
    ("post", "step_remove", _step, lambda lib: {}),
    ("post", "step_move", _step, lambda lib: {"direction": "up"}),
]


def _client(role: str) -> Client:
    client = Client()
    user = user_for(role)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "name", "kwargs", "data"), PAGES, ids=lambda v: v if isinstance(v, str) else ""
)
def test_staff_pages(library, role, method, name, kwargs, data):
    url = reverse(f"editor:{name}", kwargs=kwargs(library))
    client = _client(role)
    response = client.get(url) if method == "get" else client.post(url, data(library))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    elif role in ALLOWED:
        assert response.status_code in (200, 302), response.content[:2000]
        if response.status_code == 302:
            assert "/accounts/login" not in response["Location"]
    else:
        assert response.status_code == 403
        assert b"You cannot open this page" in response.content


def test_every_editor_url_is_in_the_matrix():
    from editor.urls import urlpatterns

    assert {p.name for p in urlpatterns} == {name for _, name, _, _ in PAGES}


def test_the_header_links_the_editor_for_editors_only(client, user, editor_user):
    client.force_login(user)
    assert reverse("editor:series_list") not in client.get(reverse("home")).content.decode()
    client.force_login(editor_user)
    assert reverse("editor:series_list") in client.get(reverse("home")).content.decode()


# --- Staff API ------------------------------------------------------------------------------------

BASE = "/api/v1/series/"


def _r(lib):
    return f"{BASE}{lib.draft.slug}/routines/{lib.routine.pk}/"


ENDPOINTS = [
    (
        "post",
        lambda lib: BASE,
        lambda lib: {"title": "Via API", "body_parts": ["hands"]},
        201,
    ),
    ("patch", lambda lib: f"{BASE}{lib.draft.slug}/", lambda lib: {"summary": "Short."}, 200),
    ("post", lambda lib: f"{BASE}{lib.draft.slug}/publish/", lambda lib: {}, 200),
    ("post", lambda lib: f"{BASE}{lib.published.slug}/unpublish/", lambda lib: {}, 200),
    ("get", lambda lib: f"{BASE}{lib.draft.slug}/history/", None, 200),
    ("post", lambda lib: f"{BASE}{lib.draft.slug}/routines/", lambda lib: {"title": "More"}, 201),
    (
        "put",
        lambda lib: f"{BASE}{lib.draft.slug}/routines/order/",
        lambda lib: {"order": [lib.other.pk, lib.routine.pk]},
        200,
    ),
    ("get", _r, None, 200),
    ("patch", _r, lambda lib: {"title": "Renamed"}, 200),
    (
        "delete",
        lambda lib: f"{BASE}{lib.draft.slug}/routines/{lib.other.pk}/",
        None,
        204,
    ),
    ("post", lambda lib: _r(lib) + "steps/", lambda lib: {"title": "S", "instruction": "I"}, 201),
    (
        "put",
        lambda lib: _r(lib) + "steps/order/",
        lambda lib: {
            "order": list(lib.routine.steps.order_by("-position").values_list("pk", flat=True))
        },
        200,
    ),
    ("get", lambda lib: _r(lib) + f"steps/{lib.step.pk}/", None, 200),
    ("patch", lambda lib: _r(lib) + f"steps/{lib.step.pk}/", lambda lib: {"technique": "T"}, 200),
    ("delete", lambda lib: _r(lib) + f"steps/{lib.step.pk}/", None, 204),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "data", "expected"), ENDPOINTS)
def test_staff_api(library, role, method, url, data, expected):
    api = APIClient()
    user = user_for(role)
    if user is not None:
        api.force_authenticate(user)
    call = getattr(api, method)
    response = call(url(library), data(library) if data else None, format="json")
    if role == "anonymous":
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Token")
    elif role in ALLOWED:
        assert response.status_code == expected, response.content
    else:
        assert response.status_code == 403


def test_reading_the_library_stays_public(api_client, library):
    assert api_client.get(BASE).status_code == 200
    assert api_client.get(f"{BASE}{library.published.slug}/").status_code == 200
    assert api_client.get(f"{BASE}{library.draft.slug}/").status_code == 404


def test_a_member_with_a_real_token_gets_403(token_api, library):
    response = token_api.post(BASE, {"title": "Nope", "body_parts": ["hands"]}, format="json")
    assert response.status_code == 403
    assert not Series.objects.filter(title="Nope").exists()


def test_a_cover_can_be_sent_as_multipart(editor_api, library):
    response = editor_api.patch(
        f"{BASE}{library.draft.slug}/",
        {"cover": image_upload(), "cover_alt": "Hands at rest"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["cover"].endswith(".png")
