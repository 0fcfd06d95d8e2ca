import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ODD_VALUES = [
    "%00",
    "\x00",
    "a" * 10_000,
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽ \u202e reversed \ufeff zero\u200bwidth 🧑‍💻",  # noqa: RUF001
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%ZZ%",
]


def routes(career):
    return [
        reverse("guides:home"),
        reverse("guides:career_list"),
        reverse("guides:career_detail", kwargs={"slug": career.slug}),
        reverse("guides:career_detail", kwargs={"slug": "no-such-career"}),
        reverse("guides:career_preview", kwargs={"slug": career.slug}),
        reverse("admin:login"),
    ]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_query_strings_never_cause_a_server_error(client, career, value):
    for url in routes(career):
        response = client.get(url, {"page": value, "q": value, value[:50]: value})
        assert response.status_code in (200, 302, 400, 404), (url, value[:20], response.status_code)


def test_very_long_raw_query_string_is_answered(client, career):
    for url in routes(career):
        response = client.get(url + "?" + "&".join(f"x{i}=%00" for i in range(2000)))
        assert response.status_code in (200, 302, 400, 404)


@pytest.mark.parametrize("path", ["/careers/%E2%98%83/", "/careers/%00/", "/careers/a%2Fb/", "/%F0%9F%A7%91/"])
def test_odd_paths_get_a_not_found_page(client, path):
    response = client.get(path)
    assert response.status_code == 404


def test_careers_search_with_nul_byte_lists_careers(client, career):
    response = client.get(reverse("guides:career_list"), {"q": "back\x00end"})

    assert response.status_code == 200
    assert "Back End Engineer" in response.content.decode()
