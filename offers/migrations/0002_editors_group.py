"""The "Editors" group may create, change and follow offers and read their redemptions.

Other apps create the same group with ``get_or_create(name="Editors")``; whichever runs
first creates it, the others find it. Permissions are normally created by post_migrate,
after all migrations: create this app's now so they can be granted.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = {
    "offer": ["view", "add", "change"],
    "redemption": ["view"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("offers")
    # create_permissions skips an app without a models module (migration state stubs).
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    codenames = [
        f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions
    ]
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="offers", codename__in=codenames)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Editors").first()
    if editors is not None:
        editors.permissions.remove(*Permission.objects.filter(content_type__app_label="offers"))


class Migration(migrations.Migration):

    dependencies = [
        ("offers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
