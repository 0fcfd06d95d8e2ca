"""Editors may view, add and change catalog items (to pick them for guide sections); never delete them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
CODENAMES = [
    "view_course", "add_course", "change_course", "view_historicalcourse",
    "view_topic", "add_topic", "change_topic", "view_historicaltopic",
    "view_provider", "add_provider", "change_provider",
]  # fmt: skip


def grant(apps, schema_editor):
    courses = apps.get_app_config("courses")
    courses.models_module = True  # permissions are normally made after migrating; the group needs them now
    create_permissions(courses, apps=apps, verbosity=0)
    courses.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="courses", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=EDITORS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="courses", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("courses", "0002_full_text_search"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
