from urllib.parse import urlencode

from django import forms
from django.core.validators import RegexValidator

from courses.models import Course

SORTS = [
    ("relevance", "Best match"),
    ("rating", "Highest rated"),
    ("newest", "Newest"),
    ("title", "Title A–Z"),  # noqa: RUF001
    ("price", "Lowest price"),
]
PRICES = [("free", "Free"), ("paid", "Paid")]
FACET_LISTS = ["kind", "topic", "provider", "career", "level", "language", "price"]
MAX_VALUES = 20  # per facet: more than a learner ticks, few enough to keep queries small


def useful_sorts(filters: dict, counts: dict) -> list[tuple[str, str]]:
    """The sorts that order these results differently from the default and from each other, by cheap rules
    on the counts alone (no query per sort): without a search, "Best match" already is best rated; a sort
    whose values every result shares (nothing rated, all free, one import batch) is title order; one result
    has one order. The chosen sort is always kept.
    """
    if counts["total"] <= 1:
        return []
    varies = counts["varies"]
    useless = {sort for sort in ("rating", "newest", "price") if not varies[sort]}
    if not filters["q"]:
        useless.add("rating")
        if not varies["rating"]:
            useless.add("title")  # best rated falls back to title order (search_engine.sorted_ids)
    return [(value, label) for value, label in SORTS if value not in useless or value == filters["sort"]]


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    """Keeps the valid values and quietly drops the rest, so one bad value never empties a search."""

    def clean(self, value):
        value = [item for item in (value or [])[:MAX_VALUES] if self.valid_value(item)]
        return list(dict.fromkeys(value))


class SlugListField(forms.Field):
    """Slugs of topics, providers or careers; anything not slug-shaped is dropped, unknown slugs match nothing."""

    widget = forms.MultipleHiddenInput
    slug = RegexValidator(r"^[-a-zA-Z0-9_]{1,120}$")

    def to_python(self, value):
        values = value if isinstance(value, list) else [value] if value else []
        return list(dict.fromkeys(item for item in values[:MAX_VALUES] if isinstance(item, str) and _is_slug(item)))


def _is_slug(value: str) -> bool:
    try:
        SlugListField.slug(value)
    except forms.ValidationError:
        return False
    return True


class CourseFilterForm(forms.Form):
    q = forms.CharField(required=False, strip=True, label="Search courses and books")
    kind = LenientMultipleChoiceField(required=False, choices=Course.Kind.choices, label="Format")
    topic = SlugListField(required=False)
    provider = SlugListField(required=False)
    career = SlugListField(required=False)
    level = LenientMultipleChoiceField(required=False, choices=Course.Level.choices)
    language = SlugListField(required=False)
    price = LenientMultipleChoiceField(required=False, choices=PRICES)
    certificate = forms.BooleanField(required=False, label="With certificate")
    sort = forms.ChoiceField(required=False, choices=SORTS, label="Sort by")

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = data.copy()
            # Cut, not refuse: a pasted paragraph or a stray NUL still gets an answer.
            data["q"] = data.get("q", "").replace("\x00", " ")[:200]
        super().__init__(data, **kwargs)

    def canonical_pairs(self, filters: dict) -> list[tuple[str, str]]:
        """The (name, value) pairs of a query that asks for exactly `filters`, in page_cache.query_pairs'
        order and without the default sort: what a query must be to be kept whole by the page cache.
        """
        pairs = [("q", filters["q"])] if filters["q"] else []
        pairs += [(name, value) for name in FACET_LISTS for value in filters[name]]
        pairs += [("certificate", "1")] if filters["certificate"] else []
        pairs += [("sort", filters["sort"])] if filters["sort"] != "relevance" else []
        return sorted(pairs)

    def removal_links(self, filters: dict, facet_options: list[dict]) -> list[dict]:
        """One link per chosen filter value that asks for the same search without it: the catalog's chips."""
        return [
            {
                "label": option["label"],
                "legend": facet["legend"],
                "url": self.query_without(filters, facet["name"], option["value"]),
            }
            for facet in facet_options
            for option in facet["options"]
            if option["checked"]
        ]

    def query_without(self, filters: dict, name: str | None = None, value: str | None = None) -> str:
        """The address of this search, from its first page, without the value `value` of facet `name`, or
        without any facet value when `name` is None (the search text and the sort stay).
        """
        if name is None:
            pairs = [pair for pair in self.canonical_pairs(filters) if pair[0] in ("q", "sort")]
        else:
            pairs = [pair for pair in self.canonical_pairs(filters) if pair != (name, str(value))]
        return f"?{urlencode(pairs)}" if pairs else "?"

    def filters(self) -> dict:
        """Every filter with a safe value: an invalid field falls back to its empty default."""
        self.is_valid()
        defaults = {
            "q": "", "kind": [], "topic": [], "provider": [], "career": [], "level": [],
            "language": [], "price": [], "certificate": False, "sort": "relevance",
        }  # fmt: skip
        cleaned = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        return defaults | cleaned
