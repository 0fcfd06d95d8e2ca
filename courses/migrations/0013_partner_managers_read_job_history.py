"""Partner managers read the background jobs' history and schedules (link checks, click replay): view only.
Re-running a job or changing a schedule stays with superusers (careerguide.admin.register_job_admins)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PARTNER_MANAGERS = "Partner managers"
CODENAMES = ["view_success", "view_failure", "view_schedule"]


def grant(apps, schema_editor):
    queue = apps.get_app_config("django_q")
    queue.models_module = True  # permissions are normally made after migrating; the group needs them now
    create_permissions(queue, apps=apps, verbosity=0)
    queue.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=PARTNER_MANAGERS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="django_q", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=PARTNER_MANAGERS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="django_q", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0012_topic_updated_at"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
