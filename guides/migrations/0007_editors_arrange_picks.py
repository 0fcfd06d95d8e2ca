"""Editors add, reorder and remove a section's picks, now rows of their own (GuideSectionPick)."""

from importlib import import_module

from django.db import migrations

editors_group = import_module("guides.migrations.0002_editors_group")

PICK_PERMISSIONS = [
    "view_guidesectionpick",
    "add_guidesectionpick",
    "change_guidesectionpick",
    "delete_guidesectionpick",
]


def grant(apps, schema_editor):
    editors_group.ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=editors_group.EDITORS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="guides", codename__in=PICK_PERMISSIONS))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=editors_group.EDITORS):
        group.permissions.remove(*Permission.objects.filter(codename__in=PICK_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("guides", "0006_picks_in_the_editors_order")]

    operations = [migrations.RunPython(grant, revoke)]
