"""The Editors group: write the guides, never delete a career, never see users or partners."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
EDITOR_PERMISSIONS = {
    "guides": [
        "view_career",
        "add_career",
        "change_career",
        "view_guidesection",
        "add_guidesection",
        "change_guidesection",
        "view_historicalcareer",
        "view_historicalguidesection",
    ],
}


def ensure_permissions(apps):
    # Permissions are normally created after all migrations run; create them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def add_editors_group(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    for app_label, codenames in EDITOR_PERMISSIONS.items():
        permissions = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*permissions)


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("guides", "0001_career_and_guide_section"),
    ]

    operations = [migrations.RunPython(add_editors_group, remove_editors_group)]
