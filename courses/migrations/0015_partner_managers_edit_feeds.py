"""Partner managers look after the partners' feeds: they add and change feeds and read every pull's record (and
confirm a held one, a change of its feed). Deleting a feed, and with it its pulls' records, is a superuser's."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PARTNER_MANAGERS = "Partner managers"
CODENAMES = ["view_feed", "add_feed", "change_feed", "view_feedpull"]


def grant(apps, schema_editor):
    courses = apps.get_app_config("courses")
    courses.models_module = True  # permissions are normally made after migrating; the group needs them now
    create_permissions(courses, apps=apps, verbosity=0)
    courses.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=PARTNER_MANAGERS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="courses", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=PARTNER_MANAGERS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="courses", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [("courses", "0014_feeds_and_retirement")]

    operations = [migrations.RunPython(grant, revoke)]
