import functools

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from guides.models import OneTimePassword

# Set at sign-in (guides.signals) when the password used was a one-time one; only those sessions are checked.
ONE_TIME_PASSWORD_KEY = "guides:one-time-password"


class OneTimePasswordMiddleware:
    """Sends staff who signed in with a one-time password to the password change before any other page.

    Only the password change itself, its "done" page and signing in and out stay open, so the handed-over
    password works for exactly one thing: choosing a new one (not the admin, nor the staff-only guide preview
    or Markdown preview outside it). Other sessions cost nothing: the flag is in the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(ONE_TIME_PASSWORD_KEY) and request.path not in _open_paths():
            if OneTimePassword.objects.still_in_use(request.user).exists():
                messages.info(
                    request,
                    "You signed in with a one-time password. Choose a password of your own to continue "
                    "(the one-time password is the old one).",
                )
                return redirect("admin:password_change")
            del session[ONE_TIME_PASSWORD_KEY]  # chosen since: stop asking
        return self.get_response(request)


@functools.cache
def _open_paths() -> frozenset[str]:
    names = ("admin:password_change", "admin:password_change_done", "admin:logout", "admin:login")
    return frozenset(reverse(name) for name in names)
