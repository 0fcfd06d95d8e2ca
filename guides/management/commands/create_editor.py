from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from guides.services import issue_staff_account


class Command(BaseCommand):
    """Also the base of create_partner_manager: only the group and the wording differ."""

    help = "Create an editor account (or reset one's password) and print a one-time password to hand over."
    group_name = "Editors"
    role = "editor"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *, username, email, **options):
        try:
            group = Group.objects.get(name=self.group_name)
        except Group.DoesNotExist as error:
            missing = f"The {self.group_name} group is missing: run `python manage.py migrate` first."
            raise CommandError(missing) from error
        try:
            _, created, password = issue_staff_account(username=username, email=email, group=group)
        except ValueError as error:
            raise CommandError(str(error)) from error

        verb = "Created" if created else "Reset the password of"
        self.stdout.write(f"{verb} {self.role} {username!r} (group: {self.group_name}).")
        self.stdout.write(f"One-time password: {password}")
        self.stdout.write(
            f"Sign in at {reverse('admin:login')}: the admin asks for a new password first. "
            "This one is shown only now; run this command again to issue a new one."
        )
