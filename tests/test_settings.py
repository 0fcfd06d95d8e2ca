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
