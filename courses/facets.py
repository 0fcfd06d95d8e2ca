"""Catalog facets: the filter each one applies in the database, and how their values are listed.

The search index counts them (courses.search_engine.counts), each with every *other* active filter applied.
"""

import operator
from functools import reduce

from django.db.models import Exists, OuterRef, Q

SHOWN_PER_FACET = 8  # the biggest values; ticked values are always shown too
FACETS = ["kind", "topic", "provider", "career", "level", "language", "price", "certificate"]
# Facet → the Course columns it groups by (the last one is its label).
COLUMN_FACETS = {
    "kind": ["kind"],
    "level": ["level"],
    "language": ["language"],
    "provider": ["provider__slug", "provider__name"],
}


def condition(name: str, values):
    """The filter for one facet's chosen values (OR within the facet), as a Q or an Exists.

    EXISTS rather than a join for topics and careers: a course in two chosen topics must still appear once.
    """
    from courses.models import Course

    links = Course.topics.through.objects.filter(course_id=OuterRef("pk"))
    if name == "topic":
        return Exists(links.filter(topic__slug__in=values))
    if name == "career":  # a draft career is not public yet: it filters nothing in
        return Exists(links.filter(topic__careers__slug__in=values, topic__careers__published=True))
    if name == "price":
        return reduce(operator.or_, [{"free": Q(price=0), "paid": Q(price__gt=0)}[value] for value in values])
    if name == "certificate":
        return Q(certificate=True)
    return Q(**{f"{COLUMN_FACETS[name][0]}__in": values})


def options(counts: dict, filters: dict) -> list[dict]:
    """Facets as the template shows them: a legend and (value, label, count, checked) rows, biggest first
    (levels from beginner to advanced). A facet that could change nothing is left out: see `does_something`.
    """
    from courses.models import Course

    labels = {"kind": dict(Course.Kind.choices), "level": dict(Course.Level.choices)}
    level_order = list(labels["level"])
    facets = []
    for name, legend in [
        ("kind", "Format"),
        ("price", "Price"),
        ("level", "Level"),
        ("topic", "Topic"),
        ("provider", "Provider"),
        ("language", "Language"),
        ("career", "Career"),
    ]:
        chosen = set(filters.get(name) or [])
        options = [
            {
                "value": value,
                "label": labels.get(name, {}).get(value, label),
                "count": count,
                "checked": value in chosen,
            }
            for value, (label, count) in counts[name].items()
            if count or value in chosen
        ]
        options.sort(key=lambda option: (-option["count"], str(option["label"])))
        shown = options[:SHOWN_PER_FACET] + [o for o in options[SHOWN_PER_FACET:] if o["checked"]]
        known = {option["value"] for option in options}
        shown += [{"value": v, "label": v, "count": 0, "checked": True} for v in chosen - known]
        if name == "level":  # a scale, not a popularity list
            shown.sort(key=lambda o: level_order.index(o["value"]) if o["value"] in level_order else len(level_order))
        if name == "language":
            for option in shown:
                option["label"] = option["label"].upper()
        facets.append({"name": name, "legend": legend, "options": shown})
    certificate_count = counts["certificate"][True][1]
    if certificate_count or filters["certificate"]:
        facets.append(
            {
                "name": "certificate",
                "legend": "Certificate",
                "options": [
                    {
                        "value": "1",
                        "label": "With certificate",
                        "count": certificate_count,
                        "checked": filters["certificate"],
                    }
                ],
            }
        )
    return [facet for facet in facets if does_something(facet, counts["total"])]


def does_something(facet: dict, total: int) -> bool:
    """Whether ticking one of the facet's values could change the results: not when its only value is one
    every result has (all in English), nor for a price facet with one side only (nothing paid to choose
    instead of free). A ticked value is always shown, so that it can be unticked.
    """
    options = facet["options"]
    if any(option["checked"] for option in options):
        return True
    if facet["name"] == "price":
        return len(options) > 1
    return bool(options) and not (len(options) == 1 and options[0]["count"] == total)


def describe(facet_options: list[dict], q: str = "") -> str:
    """What the chosen filters ask for, in words, for the heading and the tab title: "Free beginner Python
    courses and books", "Books from Manning matching “sql”". Empty when nothing is chosen.
    """
    chosen = {f["name"]: [str(o["label"]) for o in f["options"] if o["checked"]] for f in facet_options}

    def either(labels):
        return " or ".join(labels)

    words = []
    if chosen.get("price"):
        words.append(either(chosen["price"]))
    if chosen.get("level"):
        words.append(either(label.lower() for label in chosen["level"]))
    kinds = either(f"{label.lower()}s" for label in chosen.get("kind", []))
    words.append(" ".join(filter(None, [either(chosen.get("topic", [])), kinds or "courses and books"])))
    if chosen.get("certificate"):
        words.append("with a certificate")
    if chosen.get("provider"):
        words.append(f"from {either(chosen['provider'])}")
    if chosen.get("career"):
        words.append(f"for {either(chosen['career'])}")
    if chosen.get("language"):
        words.append(f"in {either(chosen['language'])}")
    if q:
        words.append(f"matching “{q}”")
    if not any(chosen.values()) and not q:
        return ""
    text = " ".join(words)
    return text[:1].upper() + text[1:]
