import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains

from guides.models import Career, GuideSection

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_load_demo_publishes_the_back_end_engineer_guide_in_order(client):
    run("load_demo")

    career = Career.objects.get(slug="back-end-engineer")
    kinds = list(career.sections.order_by("position").values_list("kind", flat=True))
    assert [k for k in kinds if k != "other"] == [
        "education", "responsibilities", "skills", "tools", "growth", "challenges", "projects", "online_learning",
    ]  # fmt: skip
    assert "other" in kinds  # transferable skills
    response = client.get(reverse("guides:career_detail", kwargs={"slug": "back-end-engineer"}))
    assertContains(response, "<section id=", count=len(kinds))


def test_demo_guide_sections_are_substantial(db):
    run("load_demo")

    for section in GuideSection.objects.all():
        words = len(re.findall(r"\w+", section.body))
        assert 150 <= words <= 400, (section.heading, words)


def test_load_demo_twice_adds_nothing_and_keeps_editor_changes():
    run("load_demo")
    skills = GuideSection.objects.get(kind="skills")
    skills.body = "Rewritten by an editor."
    skills.heading = "What to learn"
    skills.save()

    output = run("load_demo")

    assert "0 section(s) added" in output
    skills.refresh_from_db()
    assert skills.body == "Rewritten by an editor."
    assert GuideSection.objects.filter(kind="skills").count() == 1


def test_load_demo_does_not_recreate_a_renamed_career():
    run("load_demo")
    career = Career.objects.get(slug="back-end-engineer")
    career.slug = "backend-engineer"
    career.save()

    run("load_demo")

    assert Career.objects.count() == 1


def test_create_editor_prints_a_password_that_logs_into_the_editors_group():
    output = run("create_editor", "grace", "--email", "grace@example.com")

    password = re.search(r"One-time password: (\S+)", output).group(1)
    user = authenticate(username="grace", password=password)
    assert user is not None
    assert user.is_staff
    assert not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]


def test_create_editor_again_issues_a_new_password():
    first = re.search(r"One-time password: (\S+)", run("create_editor", "grace")).group(1)
    second = re.search(r"One-time password: (\S+)", run("create_editor", "grace")).group(1)

    assert first != second
    assert authenticate(username="grace", password=first) is None
    assert authenticate(username="grace", password=second) is not None
