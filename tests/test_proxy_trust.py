"""Who the client is, and whether it came over HTTPS, as the sign-in limit and the SSL redirect see it: forwarded
headers count only from the proxies named in DJANGO_TRUSTED_PROXIES, at Django (client_ip) and at gunicorn."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from careerguide.middleware import client_ip
from tests import through_gunicorn

BASE_DIR = Path(__file__).resolve().parent.parent
PROXY = "10.0.0.2"


@pytest.mark.django_db
def test_a_client_reaching_the_server_directly_cannot_dodge_the_sign_in_limit(client, settings, one_rate_window):
    settings.TRUSTED_PROXIES = [PROXY]
    login = reverse("admin:login")

    answers = [
        client.post(
            login,
            {"username": "ada", "password": f"guess {n}"},
            REMOTE_ADDR="203.0.113.5",
            headers={"X-Forwarded-For": f"198.51.100.{n}"},  # a new address claimed on every attempt
        ).status_code
        for n in range(12)
    ]

    assert answers[:10] == [200] * 10
    assert answers[10:] == [429, 429]


@pytest.mark.django_db
def test_clients_behind_the_trusted_proxy_are_limited_one_by_one(client, settings, one_rate_window):
    settings.TRUSTED_PROXIES = [PROXY]
    login = reverse("admin:login")

    def attempt(learner):
        return client.post(
            login, {"username": "ada", "password": "guess"}, REMOTE_ADDR=PROXY, headers={"X-Forwarded-For": learner}
        ).status_code

    answers = [attempt("198.51.100.7") for _ in range(11)]

    assert answers[10] == 429
    assert attempt("198.51.100.8") == 200  # another learner behind the same proxy keeps signing in


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded_for", "expected"),
    [
        # Not from a trusted proxy: the header is ignored, whatever it says.
        ([], "203.0.113.5", "198.51.100.7", "203.0.113.5"),
        ([PROXY], "203.0.113.5", "198.51.100.7", "203.0.113.5"),
        # From the proxy: the address it added, not what the client claimed before it.
        ([PROXY], PROXY, "198.51.100.7", "198.51.100.7"),
        ([PROXY], PROXY, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        ([PROXY], PROXY, "junk, 198.51.100.7", "198.51.100.7"),
        # A chain of trusted proxies: the right-most address none of them owns.
        (["10.0.0.0/24"], PROXY, "1.2.3.4, 198.51.100.7, 10.0.0.3", "198.51.100.7"),
        (["10.0.0.0/24", "192.0.2.1"], PROXY, "198.51.100.7,192.0.2.1,10.0.0.3", "198.51.100.7"),
        # An untrusted hop in the chain is as far as we can see.
        (["10.0.0.0/24"], PROXY, "198.51.100.7, 203.0.113.9, 10.0.0.3", "203.0.113.9"),
        # Nothing usable from the proxy: the proxy itself, never an address the client chose.
        ([PROXY], PROXY, "", PROXY),
        ([PROXY], PROXY, "unknown", PROXY),
        ([PROXY], PROXY, "198.51.100.7, not-an-address", PROXY),
        ([PROXY], PROXY, " , ", PROXY),
        # Only trusted addresses: the farthest one.
        (["10.0.0.0/24"], PROXY, "10.0.0.9, 10.0.0.3", "10.0.0.9"),
        # IPv6, and an IPv4 peer written as IPv6.
        (["::1"], "::1", "2001:db8::1", "2001:db8::1"),
        ([PROXY], f"::ffff:{PROXY}", "198.51.100.7", "198.51.100.7"),
        # A peer that is not an address at all.
        ([PROXY], "", "198.51.100.7", "0.0.0.0"),
    ],
)
def test_client_ip_trusts_forwarded_for_only_from_the_proxies(rf, settings, trusted, peer, forwarded_for, expected):
    settings.TRUSTED_PROXIES = trusted
    request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_ip(request) == expected


def load_settings(monkeypatch, **env):
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "careerguide" / "settings.py"))


def test_trusted_proxies_default_to_none(monkeypatch):
    monkeypatch.delenv("DJANGO_TRUSTED_PROXIES", raising=False)
    assert load_settings(monkeypatch)["TRUSTED_PROXIES"] == []


def test_trusted_proxies_read_addresses_and_networks(monkeypatch):
    settings = load_settings(monkeypatch, DJANGO_TRUSTED_PROXIES=" 10.0.0.2, 192.168.0.0/16,::1 ")
    assert settings["TRUSTED_PROXIES"] == ["10.0.0.2", "192.168.0.0/16", "::1"]


@pytest.mark.parametrize("value", ["*", "10.0.0.256", "proxy.internal", "10.0.0.1/24"])
def test_a_trusted_proxy_that_is_not_an_address_fails_loudly(monkeypatch, value):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_TRUSTED_PROXIES"):
        load_settings(monkeypatch, DJANGO_TRUSTED_PROXIES=value)


def test_the_old_proxy_switch_says_what_replaced_it(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_TRUSTED_PROXIES"):
        load_settings(monkeypatch, DJANGO_BEHIND_PROXY="1")


def gunicorn_environ(monkeypatch, peer, headers, trusted=None):
    if trusted is None:
        monkeypatch.delenv("DJANGO_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("DJANGO_TRUSTED_PROXIES", trusted)
    return through_gunicorn.parse(through_gunicorn.gunicorn_config(), peer, "/courses/", headers.items())


@pytest.mark.parametrize(
    ("trusted", "peer", "headers", "scheme"),
    [
        (PROXY, PROXY, {"X-Forwarded-Proto": "https"}, "https"),
        (PROXY, PROXY, {}, "http"),
        (PROXY, "203.0.113.5", {"X-Forwarded-Proto": "https"}, "http"),  # a client reaching gunicorn directly
        (None, "127.0.0.1", {"X-Forwarded-Proto": "https"}, "http"),  # no proxy configured: nobody is one
        # Only the header the proxy is told to overwrite: nginx passes the others on from the client.
        (PROXY, PROXY, {"X-Forwarded-Ssl": "on"}, "http"),
        (PROXY, PROXY, {"X-Forwarded-Protocol": "ssl"}, "http"),
    ],
)
def test_gunicorn_takes_https_only_from_a_trusted_proxy(monkeypatch, trusted, peer, headers, scheme):
    assert gunicorn_environ(monkeypatch, peer, headers, trusted)[2]["wsgi.url_scheme"] == scheme


@pytest.mark.django_db
def test_a_client_claiming_https_directly_is_still_sent_to_https(monkeypatch, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["testserver"]
    statuses = {}
    for peer in (PROXY, "203.0.113.5"):
        _, response, environ = gunicorn_environ(monkeypatch, peer, {"X-Forwarded-Proto": "https"}, trusted=PROXY)
        through_gunicorn.answer(environ, response)
        statuses[peer] = response.status

    assert statuses[PROXY].startswith("200")
    assert statuses["203.0.113.5"].startswith("301")
