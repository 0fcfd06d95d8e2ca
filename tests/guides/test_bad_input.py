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


# What a learner gets at each route, whatever odd query string comes with it: the page itself (the odd values are
# ignored or searched for as text), the site's 404 for a career that does not exist, and the sign-in for the
# staff preview. A 10,000-character value makes the preview's sign-in address too long: the site's 400 page.
EXPECTED = [200, 200, 200, 404, 302, 200]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_query_strings_get_the_page_a_learner_expects(client, career, value):
    answers = [client.get(url, {"page": value, "q": value, value[:50]: value}) for url in routes(career)]

    expected = [*EXPECTED[:4], 400 if len(value) > 5_000 else 302, EXPECTED[5]]
    assert [answer.status_code for answer in answers] == expected, value[:20]
    assert "Back End Engineer" in answers[2].content.decode()  # the guide itself, not an error page
    assert answers[4].status_code == 400 or answers[4]["Location"].startswith(reverse("admin:login"))


def test_thousands_of_query_fields_get_the_bad_request_page(client, career):
    for url in routes(career):
        response = client.get(url + "?" + "&".join(f"x{i}=%00" for i in range(2000)))

        assert response.status_code == 400, url  # more than Django's 1,000 fields: refused before any work
        assert "We could not understand that request" in response.content.decode()


@pytest.mark.parametrize("path", ["/careers/%E2%98%83/", "/careers/%00/", "/careers/a%2Fb/", "/%F0%9F%A7%91/"])
def test_odd_paths_get_a_not_found_page(client, path):
    response = client.get(path)

    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html  # the site's page, not a bare error
    assert "Browse all career guides" in html  # with a way on


def test_careers_search_with_nul_byte_lists_careers(client, career):
    response = client.get(reverse("guides:career_list"), {"q": "back\x00end"})

    assert response.status_code == 200
    assert "Back End Engineer" in response.content.decode()
