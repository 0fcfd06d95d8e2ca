"""Catalog facets: the filter each one applies, how they are counted, and how their values are listed.

Each facet is counted with every *other* active filter applied (see CourseQuerySet.facet_counts).
Rather than one query per facet, the matches are read once, with a flag per active filter, and every
count is taken from that one read.
"""

import json
import operator
from functools import reduce

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, Func, OuterRef, Q, Subquery, TextField

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


def counts(queryset, filters: dict) -> dict:
    """Every facet's counts and the total in one statement: the matches are read once into a CTE.

    Each facet is counted with a FILTER clause over the flags of the *other* active filters; topics are
    carried per match as a list of ids (an array on PostgreSQL, JSON on SQLite) and unnested in memory.
    """
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db import connections

    from courses.models import Course, Topic

    postgresql = connections[queryset.db].vendor == "postgresql"
    active = [name for name in FACETS if filters.get(name)]
    flags = {
        f"in_{name}": ExpressionWrapper(condition(name, filters[name]), output_field=BooleanField()) for name in active
    }
    links = Course.topics.through.objects.filter(course_id=OuterRef("pk"))
    if postgresql:
        topic_ids = ArraySubquery(links.values("topic_id"))
    else:
        topic_ids = Subquery(
            links.annotate(ids=Func(F("topic_id"), function="json_group_array", output_field=TextField())).values("ids")
        )
    columns = {
        "f_kind": F("kind"),
        "f_level": F("level"),
        "f_language": F("language"),
        "f_provider": F("provider__slug"),
        "f_provider_name": F("provider__name"),
        "f_price": F("price"),
        "f_certificate": F("certificate"),
        "f_rating": F("rating"),
        "f_topics": topic_ids,
    }
    matches = queryset.order_by().annotate(**columns, **flags).values(*columns, *flags)
    sql, params = matches.query.sql_with_params()
    topics = {pk: (slug, name) for pk, slug, name in Topic.objects.values_list("pk", "slug", "name")}
    careers = {}  # slug → (name, [topic ids]), through the guides app's Career.topics, without importing it
    career_links = Topic.careers.through.objects.filter(career__published=True)  # drafts stay unlisted
    for slug, name, topic_id in career_links.values_list("career__slug", "career__name", "topic_id"):
        careers.setdefault(slug, (name, []))[1].append(topic_id)

    def others(skip: str) -> str:
        return " AND ".join([f"m.in_{name}" for name in active if name != skip]) or "1 = 1"

    totals = (
        f"COUNT(*) FILTER (WHERE m.f_price = 0 AND {others('price')}), "
        f"COUNT(*) FILTER (WHERE m.f_price > 0 AND {others('price')}), "
        f"COUNT(*) FILTER (WHERE m.f_certificate AND {others('certificate')}), "
        f"COUNT(*) FILTER (WHERE {others('')}), "
        f"COUNT(m.f_rating) FILTER (WHERE {others('')})"
    )
    if postgresql:
        # GROUPING SETS counts every column facet and the totals in a single scan of the matches.
        column_parts = [
            f"""SELECT CASE WHEN GROUPING(m.f_kind) = 0 THEN 'kind' WHEN GROUPING(m.f_level) = 0 THEN 'level'
                       WHEN GROUPING(m.f_language) = 0 THEN 'language' WHEN GROUPING(m.f_provider) = 0 THEN 'provider'
                       ELSE 'all' END,
                   COALESCE(m.f_kind, m.f_level, m.f_language, m.f_provider), MIN(m.f_provider_name),
                   CASE WHEN GROUPING(m.f_kind) = 0 THEN COUNT(*) FILTER (WHERE {others("kind")})
                        WHEN GROUPING(m.f_level) = 0 THEN COUNT(*) FILTER (WHERE {others("level")})
                        WHEN GROUPING(m.f_language) = 0 THEN COUNT(*) FILTER (WHERE {others("language")})
                        ELSE COUNT(*) FILTER (WHERE {others("provider")}) END,
                   {totals}
            FROM m GROUP BY GROUPING SETS ((m.f_kind), (m.f_level), (m.f_language), (m.f_provider), ())"""
        ]
        each_topic, topic_id = "m CROSS JOIN LATERAL unnest(m.f_topics) AS t(id)", "t.id"
        first, rest = "SELECT %s::text AS slug, %s::bigint[] AS topic_ids", "SELECT %s::text, %s::bigint[]"
        in_career = "m.f_topics && c.topic_ids"
        career_params = [value for slug, (_, ids) in careers.items() for value in (slug, ids)]
    else:
        # SQLite has no GROUPING SETS: one GROUP BY per column over the materialized matches.
        column_parts = [
            f"SELECT '{name}', {column}, {label}, COUNT(*) FILTER (WHERE {others(name)}), 0, 0, 0, 0, 0 "
            f"FROM m GROUP BY {column}"
            for name, column, label in [
                ("kind", "m.f_kind", "NULL"),
                ("level", "m.f_level", "NULL"),
                ("language", "m.f_language", "NULL"),
                ("provider", "m.f_provider", "MIN(m.f_provider_name)"),
            ]
        ] + [f"SELECT 'all', NULL, NULL, 0, {totals} FROM m"]
        each_topic, topic_id = "m, json_each(m.f_topics) AS t", "t.value"
        first, rest = "SELECT %s AS slug, %s AS topic_ids", "SELECT %s, %s"
        in_career = (
            "EXISTS (SELECT 1 FROM json_each(m.f_topics) AS a JOIN json_each(c.topic_ids) AS b ON a.value = b.value)"
        )
        career_params = [value for slug, (_, ids) in careers.items() for value in (slug, json.dumps(ids))]
    parts = [
        *column_parts,
        f"SELECT 'topic', CAST({topic_id} AS text), NULL, COUNT(*), 0, 0, 0, 0, 0 FROM {each_topic} "
        f"WHERE {others('topic')} GROUP BY {topic_id}",
    ]
    if careers:
        career_rows = " UNION ALL ".join([first, *[rest] * (len(careers) - 1)])
        parts.append(
            f"SELECT 'career', c.slug, NULL, COUNT(*), 0, 0, 0, 0, 0 FROM m JOIN ({career_rows}) AS c "
            f"ON {in_career} WHERE {others('career')} GROUP BY c.slug"
        )
    statement = f"WITH m AS MATERIALIZED ({sql}) " + " UNION ALL ".join(parts)

    result = {name: {} for name in [*COLUMN_FACETS, "topic", "career"]}
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, [*params, *career_params])
        for part, value, label, count, free, paid, certified, total, rated in cursor.fetchall():
            if part in ("kind", "level", "language"):
                result[part][value] = (value, count)
            elif part == "provider" and value is not None:
                result[part][value] = (label, count)
            elif part == "topic":
                slug, name = topics[int(value)]
                result["topic"][slug] = (name, count)
            elif part == "career":
                result["career"][value] = (careers[value][0], count)
            elif part == "all":
                result["price"] = {"free": ("Free", free), "paid": ("Paid", paid)}
                result["certificate"] = {True: ("With certificate", certified)}
                result["total"] = total
                result["rated"] = rated  # results with a rating: whether "Highest rated" can order anything
    return result


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
