"""The "Editors" group, its permissions, and the demo editor of ``make run``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.services import demo_accounts_ensure
from accounts.services.members import EDITORS_GROUP as ACCOUNTS_EDITORS_GROUP
from routines.roles import EDIT_LIBRARY, EDITOR_PERMISSIONS, EDITORS_GROUP, can_edit_library

pytestmark = pytest.mark.django_db


def test_the_migration_made_the_group_with_the_librarys_permissions():
    group = Group.objects.get(name=EDITORS_GROUP)
    held = {
        f"{app}.{code}"
        for app, code in group.permissions.values_list("content_type__app_label", "codename")
    }
    assert set(EDITOR_PERMISSIONS) <= held
    assert EDIT_LIBRARY in held
    assert not {p for p in held if "sessionlog" in p}  # members' data is not theirs


def test_the_migration_can_run_again_on_an_existing_group():
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    state = MigrationLoader(connection).project_state(("editor", "0001_editors_group"))
    migration = import_module("editor.migrations.0001_editors_group")
    with connection.schema_editor() as editor:
        migration.editors_group_ensure(state.apps, editor)
    assert Group.objects.filter(name=EDITORS_GROUP).count() == 1


def test_the_group_can_be_made_again_after_the_database_was_emptied():
    from routines.services import editors_group_ensure

    Group.objects.filter(name=EDITORS_GROUP).delete()
    group = editors_group_ensure()
    assert group.permissions.count() == len(EDITOR_PERMISSIONS)
    assert editors_group_ensure() == group


def test_the_demo_editor_is_an_editor_and_the_demo_member_is_not():
    member, editor = demo_accounts_ensure(password="kneadful-demo")
    assert ACCOUNTS_EDITORS_GROUP == EDITORS_GROUP
    assert can_edit_library(editor) and not editor.is_staff
    assert not can_edit_library(member)
    member, editor = demo_accounts_ensure(password="kneadful-demo")  # again: the same
    assert editor.groups.filter(name=EDITORS_GROUP).count() == 1
