"""Staff pages and the sign-up form on public pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from newsletters.models import Campaign
from tests.factories import CampaignFactory, SubscriberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    client.editor = editor
    return client


@pytest.mark.parametrize("name", ["home", "routines:library"])
def test_the_sign_up_form_is_on_the_home_page_and_the_library(client, name):
    html = client.get(reverse(name)).content.decode()
    assert f'action="{reverse("newsletters:subscribe")}"' in html
    assert 'type="email"' in html and 'autocomplete="email"' in html


def test_members_and_visitors_cannot_open_staff_pages(client, member_client):
    campaign = CampaignFactory()
    url = reverse("newsletters:campaign_detail", args=[campaign.pk])
    assert member_client.get(url).status_code == 403
    assert (
        member_client.post(reverse("newsletters:campaign_send", args=[campaign.pk])).status_code
        == 403
    )
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_an_editor_writes_previews_tests_and_sends(
    editor_client, django_capture_on_commit_callbacks
):
    SubscriberFactory()
    response = editor_client.post(
        reverse("newsletters:campaign_new"),
        {"subject": "Hello", "category": "newsletter", "body": "Hi **all**."},
    )
    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("newsletters:campaign_detail", args=[campaign.pk])
    page = editor_client.get(response["Location"]).content.decode()
    assert "Hi **all**." in page  # the plain-text part
    assert "Campaigns" in page  # the header link for editors
    preview = editor_client.get(reverse("newsletters:campaign_preview", args=[campaign.pk]))
    assert b"<strong>all</strong>" in preview.content
    assert "sandbox" in preview["Content-Security-Policy"]

    editor_client.post(reverse("newsletters:campaign_test", args=[campaign.pk]))
    assert [m.to for m in mail.outbox] == [[editor_client.editor.email]]
    assert mail.outbox[0].subject.startswith("[Test]")

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(reverse("newsletters:campaign_send", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    progress = editor_client.get(
        reverse("newsletters:campaign_progress", args=[campaign.pk])
    ).json()
    assert progress["sent"] == 1 and progress["percent"] == 100.0
    page = editor_client.get(
        reverse("newsletters:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert '<progress id="campaign-progress-bar" max="1" value="1">' in page


def test_a_paused_campaign_shows_why(editor_client):
    campaign = CampaignFactory(
        status="paused",
        max_subscriber_id=5,
        pause_reason="Paused automatically after 50 failed sends",
    )
    page = editor_client.get(
        reverse("newsletters:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert "Paused automatically after 50 failed sends" in page
    assert "Resume" in page


def test_schedule_and_list(editor_client):
    campaign = CampaignFactory()
    editor_client.post(
        reverse("newsletters:campaign_schedule", args=[campaign.pk]),
        {"send_at": "2099-01-01T09:00"},
    )
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    listing = editor_client.get(reverse("newsletters:campaign_list")).content.decode()
    assert campaign.subject in listing and "Scheduled" in listing
