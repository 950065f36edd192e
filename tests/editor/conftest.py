"""Fixtures of the editor's tests: a small library to edit, and a client per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from rest_framework.test import APIClient

from routines.models import Routine, Series, Step
from tests.factories import EditorFactory, RoutineFactory, SeriesFactory, UserFactory


@dataclass
class Library:
    draft: Series
    routine: Routine
    other: Routine
    step: Step
    published: Series


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def library(db) -> Library:
    draft = SeriesFactory(title="Draft series", slug="draft-series", status=Series.Status.DRAFT)
    routine = RoutineFactory(series=draft, title="First routine", position=1, steps=3)
    other = RoutineFactory(series=draft, title="Second routine", position=2, steps=1)
    published = SeriesFactory(title="Live series", slug="live-series")
    RoutineFactory(series=published, steps=2)
    return Library(draft, routine, other, routine.steps.get(position=2), published)


ROLES = ["anonymous", "member", "staff", "editor", "superuser"]


def user_for(role: str):
    return {
        "anonymous": lambda: None,
        "member": lambda: UserFactory(),
        "staff": lambda: UserFactory(is_staff=True),  # is_staff alone is not an editor
        "editor": lambda: EditorFactory(),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }[role]()


@pytest.fixture
def editor_client(client, editor_user) -> Client:
    client.force_login(editor_user)
    return client


@pytest.fixture
def editor_api(editor_user) -> APIClient:
    api = APIClient()
    api.force_authenticate(editor_user)
    return api
