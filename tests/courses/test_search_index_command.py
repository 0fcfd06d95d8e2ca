from io import StringIO

import pytest
from django.core.management import call_command

from courses import search_index
from courses.models import Course
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def run(*args) -> dict:
    out = StringIO()
    call_command("search_index", *args, stdout=out)
    return dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)


def test_status_compares_the_database_and_the_index_and_counts_what_is_behind(settings):
    CourseFactory.create_batch(3)
    assert run("status")["documents_in_index"] == "None"  # no index on this host yet

    first = run("rebuild")
    CourseFactory(title="Written Since")

    status = run("status")
    assert first["documents_in_index"] == "3"
    assert status["published_in_database"] == "4"
    assert status["documents_in_index"] == "3"
    assert int(status["changes_behind"]) >= 1


def test_rebuild_switches_to_a_new_generation_and_keeps_searching():
    CourseFactory(title="Kept Findable")
    assert [c.title for c in Course.objects.search("findable")] == ["Kept Findable"]
    before = search_index.live_generation()

    run("rebuild")

    assert search_index.live_generation() != before
    assert [c.title for c in Course.objects.search("findable")] == ["Kept Findable"]
