"""The "Editors" group with the library's model permissions and reading the audit log.

Idempotent: the group may already exist (another app's migration, or a superuser, may
have made it); the permissions are added, never removed.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Editors"  # routines.roles.EDITORS_GROUP, frozen here as migrations must be
PERMISSIONS = [
    (f"{action}_{model}", model)
    for model in ("series", "routine", "step")
    for action in ("add", "change", "delete", "view")
] + [("view_auditentry", "auditentry")]


def editors_group_ensure(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); on a
    # fresh database they do not exist yet, so make the routines app's ones now.
    routines_config = apps.get_app_config("routines")
    had = getattr(routines_config, "models_module", None)
    routines_config.models_module = had or True  # a migration state's app has none: say it does
    try:
        create_permissions(
            routines_config, verbosity=0, using=schema_editor.connection.alias, apps=apps
        )
    finally:
        routines_config.models_module = had
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = Permission.objects.filter(
        content_type__app_label="routines", codename__in=[code for code, _ in PERMISSIONS]
    )
    group.permissions.add(*wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("routines", "0007_editor_workflow_and_audit"),
    ]

    operations = [migrations.RunPython(editors_group_ensure, migrations.RunPython.noop)]
