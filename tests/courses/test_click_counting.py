"""What a partner pays for: every /go/ request is redirected and recorded, but only people's clicks count, once per
visit and at a person's pace, and the reports show raw against counted and add up.
"""

import json
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.urls import reverse
from pytest_django.asserts import assertContains

from courses import counting
from courses.models import Click
from courses.reports import ReportRange, build_report
from tests.factories import OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db

# Real User-Agents of machines, as their makers document or send them.
NON_HUMAN_AGENTS = {
    # link previews of chat, mail and social apps
    "Slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp": "WhatsApp/2.23.20.0 A",
    "Telegram": "TelegramBot (like TwitterBot)",
    "Discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Twitter/X": "Twitterbot/1.0",
    "Facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "iMessage": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
    "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "Skype/Teams": "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) SkypeUriPreview "
    "Preview/0.5 skype-url-preview@microsoft.com",
    "Microsoft preview": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/102.0.5005.124 Safari/537.36 Edg/102.0.1245.44 MicrosoftPreview/2.0 +https://aka.ms/MicrosoftPreview",
    "LinkedIn": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Google Read Aloud": "Mozilla/5.0 (Linux; Android 7.0; SM-G930V Build/NRD90M) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/59.0.3071.125 Mobile Safari/537.36 (compatible; Google-Read-Aloud; "
    "+https://support.google.com/webmasters/answer/1061943)",
    "Gmail image proxy": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Snapchat": "Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots)",
    "Mastodon": "http.rb/5.1.1 (Mastodon/4.2.8; +https://mastodon.social/)",
    "Microsoft Office": "Microsoft Office Existence Discovery",
    "Office link probe": "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
    # search engines and AI crawlers
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "GPTBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    # HTTP libraries and tools
    "curl": "curl/8.5.0",
    "Wget": "Wget/1.21.4",
    "requests": "python-requests/2.32.3",
    "urllib": "Python-urllib/3.11",
    "httpx": "python-httpx/0.27.2",
    "aiohttp": "Python/3.11 aiohttp/3.10.5",
    "Go": "Go-http-client/1.1",
    "OkHttp": "okhttp/4.12.0",
    "axios": "axios/1.7.7",
    "node-fetch": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Node fetch()": "node",
    "undici": "undici",
    "Deno": "Deno/1.46.3",
    "Java": "Java-http-client/17.0.8",
    "Apache HttpClient": "Apache-HttpClient/4.5.14 (Java/17.0.8)",
    "Postman": "PostmanRuntime/7.42.0",
    "PowerShell": "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.1682",
    "Scrapy": "Scrapy/2.11.2 (+https://scrapy.org)",
    "headless Chrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36",
    # monitoring and inspection
    "UptimeRobot": "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "Pingdom": "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    "Datadog Synthetics": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/127.0.0.0 Safari/537.36 DatadogSynthetics",
    "Datadog Agent": "Datadog Agent/7.57.2",
    "StatusCake": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/98.0.4758.102 Safari/537.36 StatusCake",
    "Lighthouse": "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
    "Route 53": "Amazon-Route53-Health-Check-Service (ref 3a5c-4b1f; report http://amzn.to/1vsZADi)",
    "Kubernetes": "kube-probe/1.30",
    "Prometheus": "Blackbox Exporter/0.25.0",
    "W3C link checker": "W3C-checklink/5.0.0 libwww-perl/6.72",
    "Censys": "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "no agent": "",
    "bare Mozilla": "Mozilla/5.0",
}
HUMAN_AGENTS = {
    "Chrome, Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Chrome, macOS": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Chrome, Android": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Chrome, iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
    "Firefox, Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Firefox, Linux": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Firefox, Android": "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
    "Firefox, iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
    "Safari, macOS": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Safari, iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Safari, iPad": "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Edge": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 Edg/131.0.0.0",
    "Samsung Internet": "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Facebook in-app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/476.0.0.42.107;FBBV/625000000;FBDV/iPhone14,2;FBMD/iPhone;FBSN/iOS;"
    "FBSV/17.5;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
    "Instagram in-app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 Instagram 345.0.0.34.99 (iPhone14,2; iOS 17_5; en_US; en; scale=3.00; 1170x2532; "
    "630000000)",
    "Android WebView": "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36",
    "Telegram in-app": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36 Telegram-Android/11.4.2 (Google Pixel 7; Android 14; SDK 34; AVERAGE)",
}
BROWSER = HUMAN_AGENTS["Chrome, Android"]


def go(client, offer, *, agent=BROWSER, address="203.0.113.9", **headers):
    return client.get(offer.get_absolute_url(), headers={"User-Agent": agent, **headers}, REMOTE_ADDR=address)


def counts(**filters) -> dict[str, int]:
    clicks = Click.objects.filter(**filters)
    return {
        "raw": clicks.count(),
        "counted": clicks.counted().count(),
        "bots": clicks.filter(is_bot=True).count(),
        "repeats": clicks.filter(is_bot=False, excluded_reason="repeat").count(),
        "over_limit": clicks.filter(is_bot=False, excluded_reason="over_limit").count(),
    }


def today_report(partner):
    today = datetime.now(UTC).date()
    return build_report(report_range=ReportRange(today, today, "day"), partner=partner)


@pytest.fixture
def partner():
    return PartnerFactory(name="Learnly", allowed_hosts="learn.example.com")


@pytest.fixture
def offer(partner):
    return OfferFactory(partner=partner, url="https://learn.example.com/course")


# -- who is a machine ----------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", NON_HUMAN_AGENTS.values(), ids=NON_HUMAN_AGENTS.keys())
def test_real_non_human_agents_are_bots(agent):
    assert counting.is_bot_agent(agent)


@pytest.mark.parametrize("agent", HUMAN_AGENTS.values(), ids=HUMAN_AGENTS.keys())
def test_real_browsers_are_people(agent):
    assert not counting.is_bot_agent(agent)


def test_link_previews_and_libraries_are_redirected_recorded_and_never_counted(client, offer):
    for number, agent in enumerate(NON_HUMAN_AGENTS.values()):
        response = go(client, offer, agent=agent, address=f"198.51.100.{number}")
        assert response.status_code == 302

    assert counts() == {"raw": len(NON_HUMAN_AGENTS), "counted": 0, "bots": len(NON_HUMAN_AGENTS), "repeats": 0,
                        "over_limit": 0}  # fmt: skip


@pytest.mark.parametrize(
    "headers",
    [{"X-Moz": "prefetch"}, {"Sec-Purpose": "prefetch"}, {"Sec-Purpose": "prefetch;prerender"},
     {"Purpose": "prefetch"}, {"X-Purpose": "preview"}],
)  # fmt: skip
def test_a_browser_fetching_ahead_of_a_click_is_not_a_click(client, offer, headers):
    assert go(client, offer, **headers).status_code == 302
    go(client, OfferFactory(), address="192.0.2.1")  # positive control: a real click elsewhere

    assert Click.objects.get(offer=offer).is_bot
    assert Click.objects.counted().count() == 1


# -- repeats, limits and visitors ----------------------------------------------------------------------


def test_a_thousand_clicks_from_one_client_count_once(client, offer):
    statuses = {go(client, offer).status_code for _ in range(1000)}

    assert statuses == {302}  # the learner is always sent on, never refused
    figures = counts()
    assert figures["raw"] == 1000
    assert figures["counted"] == 1
    assert figures["raw"] == figures["counted"] + figures["bots"] + figures["repeats"] + figures["over_limit"]
    assert figures["over_limit"] == 1000 - counting.CLIENT_LIMIT


def test_rotating_the_user_agent_makes_neither_visitors_nor_clicks(client, partner):
    offers = OfferFactory.create_batch(3, partner=partner, url="https://learn.example.com/course")
    for version in range(50):
        agent = (
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{80 + version}.0) Gecko/20100101 Firefox/{80 + version}.0"
        )
        go(client, offers[version % 3], agent=agent)

    row = today_report(partner).section("by-period").rows[0]
    raw, counted, _bots, _repeats, _over, visitors = row[1:7]  # a partner's own report: no partner column
    assert (raw, counted, visitors) == (50, 3, 1)  # one visitor, one counted click per offer


def test_rotating_addresses_within_one_ipv6_network_is_one_visitor(client, offer):
    for host in range(1, 30):
        go(client, offer, address=f"2001:db8:1:2::{host:x}")
    go(client, offer, address="2001:db8:1:3::1")  # positive control: another network

    assert Click.objects.counted().count() == 2
    assert Click.objects.values("visitor_hash").distinct().count() == 2


def test_different_people_on_one_offer_each_count(client, offer):
    for number in range(5):
        go(client, offer, address=f"192.0.2.{number}")

    assert counts()["counted"] == 5


def test_one_visitor_clicking_several_offers_counts_each(client, partner):
    for offer in OfferFactory.create_batch(4, partner=partner, url="https://learn.example.com/course"):
        go(client, offer)
        go(client, offer)

    assert counts() == {"raw": 8, "counted": 4, "bots": 0, "repeats": 4, "over_limit": 0}


def test_a_client_over_its_limit_is_redirected_but_not_counted(client, partner, monkeypatch):
    monkeypatch.setattr(counting, "CLIENT_LIMIT", 3)
    offers = OfferFactory.create_batch(5, partner=partner, url="https://learn.example.com/course")

    responses = [go(client, offer) for offer in offers]
    go(client, offers[0], address="192.0.2.77")  # positive control: another client is not held back

    assert [response.status_code for response in responses] == [302] * 5
    assert counts() == {"raw": 6, "counted": 4, "bots": 0, "repeats": 0, "over_limit": 2}


def test_a_repeat_counts_again_once_its_window_has_passed(client, offer):
    go(client, offer)
    go(client, offer)
    counting.forget_counts()
    cache.clear()  # what the window's end does to the keys

    go(client, offer)

    assert counts() == {"raw": 3, "counted": 2, "bots": 0, "repeats": 1, "over_limit": 0}


def test_with_the_shared_cache_away_a_flood_is_still_cut_down(client, offer, monkeypatch):
    # ForgivingRedisCache with Redis away: every add says "added", every incr says 1.
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: True)
    monkeypatch.setattr(cache, "incr", lambda *args, **kwargs: 1)

    for _ in range(100):
        go(client, offer)

    assert counts()["counted"] == 1


@pytest.mark.django_db(transaction=True)  # autocommit, as in production
def test_a_spooled_click_keeps_its_class(client, offer, click_spool):
    def database_down(execute, sql, params, many, context):
        raise OperationalError("connection refused (test)")

    go(client, offer)  # counted; the offer is now cached
    with connection.execute_wrapper(database_down):
        go(client, offer)  # a repeat, spooled
    spooled = json.loads(next(click_spool.glob("*.jsonl")).read_text())

    go(client, offer)  # the database is back: replays the spool

    assert spooled["excluded_reason"] == "repeat"
    assert counts() == {"raw": 3, "counted": 1, "bots": 0, "repeats": 2, "over_limit": 0}


# -- the reports ---------------------------------------------------------------------------------------


@pytest.fixture
def mixed_day(client, partner, monkeypatch):
    """Today, through /go/, with a limit of 3 clicks a client: 11 raw, 4 counted, 2 repeats, 3 over, 2 bots."""
    monkeypatch.setattr(counting, "CLIENT_LIMIT", 3)
    first, second = OfferFactory.create_batch(2, partner=partner, url="https://learn.example.com/course")
    for address in ["192.0.2.1", "192.0.2.2"]:
        go(client, first, address=address, Referer="http://testserver/guides/data/")  # counted
        go(client, first, address=address, Referer="http://testserver/guides/data/")  # repeat
        go(client, second, address=address)  # counted
        go(client, second, address=address)  # the 4th from this client: over the limit
    go(client, first, address="192.0.2.2")  # over the limit (and a repeat: the limit is checked first)
    go(client, first, agent=NON_HUMAN_AGENTS["Slack"], address="192.0.2.3")
    go(client, second, agent=NON_HUMAN_AGENTS["curl"], address="192.0.2.3")


def test_report_columns_add_up(mixed_day, partner):
    report = today_report(partner)

    (period,) = report.section("by-period").rows
    raw, counted, bots, repeats, over_limit, visitors = period[1:7]
    assert (raw, counted, bots, repeats, over_limit, visitors) == (11, 4, 2, 2, 3, 2)
    assert raw == counted + bots + repeats + over_limit
    assert (raw, counted, bots, repeats, over_limit) == tuple(counts().values())  # as the rows say
    assert sum(row[1] for row in report.section("by-course").rows) == raw
    assert sum(row[2] for row in report.section("by-course").rows) == counted
    assert sum(row[1] for row in report.section("by-page").rows) == raw
    assert sum(row[2] for row in report.section("by-page").rows) == counted
    assert report.section("reconciliation").rows[0][1] == counted


@pytest.mark.usefixtures("mixed_day")
def test_both_reports_and_the_csv_show_raw_against_counted_and_define_each_column(client, admin_client, partner):
    pages = [client.get(partner.get_report_url()), admin_client.get(reverse("admin:courses_partner_report"))]
    for page in pages:
        for term in ["Raw clicks", "Counted clicks", "Bots", "Repeats", "Over limit", "Unique visitors"]:
            assertContains(page, f"<dt>{term}</dt>", html=True)
        assertContains(page, '<th scope="col">Over limit</th>', html=True)
    csv = client.get(partner.get_report_url(), {"format": "csv"}).content.decode()
    assert "Raw clicks,Counted clicks,Bots,Repeats,Over limit,Unique visitors" in csv
