"""Editors read occupations (to tie a career to one and start a guide from one) and map technologies to topics."""

from importlib import import_module

from django.db import migrations

editors_group = import_module("guides.migrations.0002_editors_group")

PERMISSIONS = ["view_occupation", "view_technology", "change_technology"]


def grant(apps, schema_editor):
    editors_group.ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=editors_group.EDITORS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="guides", codename__in=PERMISSIONS))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=editors_group.EDITORS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="guides", codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("guides", "0010_occupation_search_trigram_index")]

    operations = [migrations.RunPython(grant, revoke)]
