"""Staff API for campaigns: permissions, the life cycle, progress counts, the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from newsletters.models import Campaign
from tests.factories import CampaignFactory, SubscriberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    member = UserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name="Editors"))  # granted by migration 0002
    return member


@pytest.fixture
def editor_api(editor) -> APIClient:
    client = APIClient()
    client.force_authenticate(editor)
    return client


def test_anonymous_401_members_403_staff_without_permission_403(api_client, member_api):
    campaign = CampaignFactory()
    assert api_client.get("/api/v1/campaigns/").status_code == 401
    assert api_client.post(f"/api/v1/campaigns/{campaign.pk}/send/").status_code == 401
    assert member_api.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 403
    assert member_api.post("/api/v1/campaigns/", {"subject": "x", "body": "y"}).status_code == 403
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True))
    assert staff.get("/api/v1/campaigns/").status_code == 403


def test_an_editor_writes_sends_pauses_resumes_and_reads_progress(
    editor_api, django_capture_on_commit_callbacks, settings
):
    settings.NEWSLETTER_CHUNK_SIZE = 2
    for _ in range(3):
        SubscriberFactory()
    created = editor_api.post(
        "/api/v1/campaigns/", {"subject": "Spring", "body": "New **routines**."}, format="json"
    )
    assert created.status_code == 201, created.data
    pk = created.data["id"]
    assert created.data["status"] == "draft"
    patched = editor_api.patch(f"/api/v1/campaigns/{pk}/", {"subject": "Spring!"}, format="json")
    assert patched.status_code == 200 and patched.data["subject"] == "Spring!"

    later = timezone.now() + dt.timedelta(days=1)
    scheduled = editor_api.post(
        f"/api/v1/campaigns/{pk}/send/", {"send_at": later.isoformat()}, format="json"
    )
    assert scheduled.data["status"] == "scheduled"
    Campaign.objects.filter(pk=pk).update(status="draft", send_at=None)

    sent = editor_api.post(f"/api/v1/campaigns/{pk}/send/", {}, format="json")
    assert sent.status_code == 200 and sent.data["status"] == "sending"
    assert sent.data["progress"]["recipients"] == 3
    paused = editor_api.post(f"/api/v1/campaigns/{pk}/pause/")
    assert paused.data["status"] == "paused" and paused.data["progress"]["pause_reason"]
    assert (
        editor_api.patch(f"/api/v1/campaigns/{pk}/", {"subject": "no"}, format="json").status_code
        == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        resumed = editor_api.post(f"/api/v1/campaigns/{pk}/resume/")
    assert resumed.data["status"] == "sending"
    final = editor_api.get(f"/api/v1/campaigns/{pk}/")
    assert final.data["status"] == "sent"
    assert final.data["progress"] == {
        "recipients": 3,
        "sent": 3,
        "failed": 0,
        "skipped": 0,
        "done": 3,
        "percent": 100.0,
        "pause_reason": "",
    }
    assert editor_api.post(f"/api/v1/campaigns/{pk}/cancel/").status_code == 400


def test_cancel_through_the_api(editor_api):
    campaign = CampaignFactory()
    response = editor_api.post(f"/api/v1/campaigns/{campaign.pk}/cancel/")
    assert response.status_code == 200 and response.data["status"] == "cancelled"


def test_the_schema_documents_the_campaign_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/campaigns/",
        "/api/v1/campaigns/{id}/",
        "/api/v1/campaigns/{id}/send/",
        "/api/v1/campaigns/{id}/pause/",
        "/api/v1/campaigns/{id}/resume/",
        "/api/v1/campaigns/{id}/cancel/",
    ]:
        assert path in paths
    assert "send_at" in str(paths["/api/v1/campaigns/{id}/send/"])
    assert "progress" in schema["components"]["schemas"]["Campaign"]["properties"]
