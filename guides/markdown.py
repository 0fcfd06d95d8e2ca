"""Editor Markdown to safe HTML: markdown-it-py renders, nh3 keeps only an allow-list."""

from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# Raw HTML is parsed (so editors may paste a table) but nh3 decides what survives.
_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")


def _headings_below_section_heading(state):
    # A body sits under the page's <h1> and its section's <h2>, so its own headings start at <h3>.
    for token in state.tokens:
        if token.type in {"heading_open", "heading_close"} and token.tag in {"h1", "h2"}:
            token.tag = "h3"


_markdown.core.ruler.push("headings_below_section_heading", _headings_below_section_heading)

ALLOWED_TAGS = {
    "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote",
    "ul", "ol", "li", "a", "em", "strong", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


# Rendering is pure, so identical text is rendered once per process; an edit changes the text and so the key.
@lru_cache(maxsize=2048)
def render_markdown(text: str) -> SafeString:
    """Markdown source to HTML that is safe to mark as safe: no scripts, handlers, styles or unsafe URLs."""
    html = nh3.clean(
        _markdown.render(text or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return mark_safe(html)  # nh3 has removed everything that could run or restyle the page


class _Removals(HTMLParser):
    """Collects, in order of first appearance, what the allow-list above would drop from rendered HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: dict[str, None] = {}

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.found[f"<{tag}>"] = None
            return
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.found[f"{name} attribute"] = None
            elif name == "href" and value:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme and scheme not in ALLOWED_URL_SCHEMES:
                    self.found[f"{scheme}: link"] = None

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.found["HTML comment"] = None


def sanitizer_removals(text: str) -> list[str]:
    """What render_markdown drops from `text`, named for an editor: "<script>", "onclick attribute",
    "javascript: link". Empty when the text renders as written.
    """
    parser = _Removals()
    parser.feed(_markdown.render(text or ""))
    parser.close()
    return list(parser.found)
