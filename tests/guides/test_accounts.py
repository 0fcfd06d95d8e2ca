"""Accounts made by create_editor and create_partner_manager: a one-time password that must be replaced."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests.factories import EditorFactory, PartnerManagerFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long new passphrase 42"


def one_time_password(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return re.search(r"One-time password: (\S+)", out.getvalue()).group(1)


def sign_in(client, username, password):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": reverse("admin:index")}
    )


def change_password(client, old, new=NEW_PASSWORD):
    return client.post(
        reverse("admin:password_change"), {"old_password": old, "new_password1": new, "new_password2": new}
    )


ADMIN_PAGES = [
    ("admin:index", []),
    ("admin:guides_career_changelist", []),
    ("admin:courses_course_changelist", []),
    ("admin:courses_course_add", []),
    ("admin:courses_partner_report", []),
]


@pytest.mark.parametrize(("command", "username"), [("create_editor", "grace"), ("create_partner_manager", "pat")])
def test_the_first_sign_in_forces_a_password_change_before_any_admin_page(client, command, username):
    password = one_time_password(command, username)

    response = sign_in(client, username, password)

    assertRedirects(response, reverse("admin:index"), fetch_redirect_response=False)
    for name, args in ADMIN_PAGES:
        page = client.get(reverse(name, args=args))
        assertRedirects(page, reverse("admin:password_change"), fetch_redirect_response=False)
    form = client.get(reverse("admin:password_change"))
    assertContains(form, "one-time password")

    assertRedirects(change_password(client, password), reverse("admin:password_change_done"))

    assert client.get(reverse("admin:index")).status_code == 200
    assert authenticate(username=username, password=NEW_PASSWORD) is not None


def test_a_one_time_password_opens_no_staff_page_outside_the_admin_either(client, career):
    password = one_time_password("create_editor", "grace")
    sign_in(client, "grace", password)

    for url in [reverse("guides:career_preview", kwargs={"slug": career.slug}), reverse("guides:markdown_preview")]:
        assertRedirects(client.get(url), reverse("admin:password_change"), fetch_redirect_response=False)


def test_a_new_one_time_password_forces_a_change_again(client):
    first = one_time_password("create_editor", "grace")
    sign_in(client, "grace", first)
    change_password(client, first)
    client.logout()

    second = one_time_password("create_editor", "grace")
    sign_in(client, "grace", second)

    assertRedirects(client.get(reverse("admin:index")), reverse("admin:password_change"), fetch_redirect_response=False)


def test_staff_who_chose_their_own_password_are_not_stopped(client):
    client.force_login(EditorFactory())

    assert client.get(reverse("admin:index")).status_code == 200


def test_create_partner_manager_makes_a_view_only_partner_manager():
    password = one_time_password("create_partner_manager", "pat", "--email", "pat@example.com")

    user = authenticate(username="pat", password=password)
    assert user.is_staff
    assert not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Partner managers"]
    assert user.email == "pat@example.com"
    assert user.has_perm("courses.view_partner_report")
    assert not user.has_perm("guides.change_career")


def test_create_partner_manager_refuses_a_superuser(django_user_model):
    django_user_model.objects.create_superuser("root", password="x" * 20)

    with pytest.raises(CommandError, match="superuser"):
        call_command("create_partner_manager", "root", stdout=StringIO())


def test_the_admin_says_who_it_is_for(client):
    client.force_login(EditorFactory())

    response = client.get(reverse("admin:index"))

    assertContains(response, '<div id="site-name"><a href="/admin/">careerguide admin</a></div>', html=True)


def test_partner_managers_reach_the_partner_report_from_the_admin_index(client):
    client.force_login(PartnerManagerFactory())

    response = client.get(reverse("admin:index"))

    assertContains(response, f'href="{reverse("admin:courses_partner_report")}"')
    assertContains(response, "Partner reports")


def test_editors_are_not_shown_a_report_link_they_may_not_open(client):
    client.force_login(EditorFactory())

    response = client.get(reverse("admin:index"))

    assertNotContains(response, reverse("admin:courses_partner_report"))
