import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from careerguide.settings import env_bool


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("0", False), ("off", False), ("", True)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("DJANGO_DEBUG", raw)
    assert env_bool("DJANGO_DEBUG", True) is expected


def test_env_bool_refuses_a_typo(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "flase")
    with pytest.raises(ImproperlyConfigured):
        env_bool("DJANGO_DEBUG", True)


def database_settings(**env) -> dict:
    """settings.DATABASES["default"] as a fresh process reads it from this environment."""
    code = "import json; from django.conf import settings as s; print(json.dumps(s.DATABASES['default'], default=str))"
    environ = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}
    environ.update(DJANGO_SETTINGS_MODULE="careerguide.settings", **env)
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_postgresql_waits_are_bounded_by_default_and_configurable():
    default = database_settings(DATABASE_URL="postgres://app@db.internal:5432/careerguide")
    tuned = database_settings(
        DATABASE_URL="postgres://app@db.internal:5432/careerguide?connect_timeout=7",
        DATABASE_QUERY_TIMEOUT="2.5",
        DATABASE_RETRY_AFTER="10",
    )

    assert default["ENGINE"] == "careerguide.database"
    assert default["OPTIONS"]["connect_timeout"] == 2
    assert default["OPTIONS"]["query_timeout"] == 1.0
    assert default["OPTIONS"]["keepalives"] == 1
    assert (tuned["OPTIONS"]["connect_timeout"], tuned["OPTIONS"]["query_timeout"]) == (7, 2.5)
    assert tuned["OPTIONS"]["retry_after"] == 10.0


def test_sqlite_settings_are_untouched_by_the_postgresql_bounds():
    sqlite = database_settings(DATABASE_URL="sqlite:////tmp/careerguide-test.sqlite3")

    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert "query_timeout" not in sqlite["OPTIONS"]


def test_an_empty_database_url_means_the_zero_setup_sqlite_file():
    """`DATABASE_URL= make run` (a variable cleared, not unset) once crashed every command with KeyError: 'ENGINE'."""
    default = database_settings(DATABASE_URL="")

    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["NAME"].endswith("careerguide.sqlite3")
