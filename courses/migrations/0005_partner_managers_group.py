"""Partner managers run the partner business: partners, offers, their clicks and conversions, the reports.
Editors get none of it (0003 gives them the catalog only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PARTNER_MANAGERS = "Partner managers"
CODENAMES = [
    "view_partner", "add_partner", "change_partner", "view_partner_report",
    "view_offer", "add_offer", "change_offer", "delete_offer",
    "view_click", "view_conversion",
    "view_course", "view_provider", "view_topic",
]  # fmt: skip


def grant(apps, schema_editor):
    courses = apps.get_app_config("courses")
    courses.models_module = True  # permissions are normally made after migrating; the group needs them now
    create_permissions(courses, apps=apps, verbosity=0)
    courses.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=PARTNER_MANAGERS)
    group.permissions.set(Permission.objects.filter(content_type__app_label="courses", codename__in=CODENAMES))


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=PARTNER_MANAGERS).delete()


class Migration(migrations.Migration):
    dependencies = [("courses", "0004_partners")]

    operations = [migrations.RunPython(grant, remove)]
