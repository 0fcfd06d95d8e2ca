"""Receivers of the guides app, connected in GuidesConfig.ready(); each calls a named function."""

from guides.middleware import ONE_TIME_PASSWORD_KEY
from guides.models import OneTimePassword


def note_one_time_password(sender, request, user, **kwargs):
    """At sign-in: remember in the session whether the password was a one-time one (one query per sign-in)."""
    if request is not None and hasattr(request, "session"):
        request.session[ONE_TIME_PASSWORD_KEY] = OneTimePassword.objects.still_in_use(user).exists()


def schedule_plan_jobs(sender, using, **kwargs):
    """After every migrate: the guides app's background jobs are on the task queue's schedule (idempotent)."""
    from careerguide.jobs import keep_schedules, schedule_table_exists
    from guides.jobs import SCHEDULES

    if schedule_table_exists(using):
        keep_schedules(SCHEDULES, using=using)
