import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

EDITORS = "Editors"


class Command(BaseCommand):
    help = "Create an editor account (or reset one's password) and print a one-time password to hand over."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *, username, email, **options):
        try:
            editors = Group.objects.get(name=EDITORS)
        except Group.DoesNotExist as error:
            raise CommandError("The Editors group is missing: run `python manage.py migrate` first.") from error

        User = get_user_model()
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username, defaults={"email": email})
            if user.is_superuser:
                raise CommandError(f"{username} is a superuser; use `manage.py changepassword` instead.")
            if email:
                user.email = email
            user.is_staff = True  # may log in to the admin; the group decides what they see there
            user.set_password(password)
            user.save()
            user.groups.add(editors)

        verb = "Created" if created else "Reset the password of"
        self.stdout.write(f"{verb} editor {username!r} (group: {EDITORS}).")
        self.stdout.write(f"One-time password: {password}")
        self.stdout.write(
            f"Log in at {reverse('admin:login')} and change it at {reverse('admin:password_change')}. "
            "It is shown only now; run this command again to issue a new one."
        )
