"""Facet counting on PostgreSQL in a single pass over the matches (see CourseQuerySet.facet_counts).

Each facet is counted with every *other* active filter applied. Rather than one query per facet, the
matches are read once with a flag per active filter, and GROUPING SETS counts every column facet, the
price and certificate facets and the total together, each with a FILTER clause over the right flags.
"""

import operator
from functools import reduce

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q

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
    if name == "career":
        return Exists(links.filter(topic__careers__slug__in=values))
    if name == "price":
        return reduce(operator.or_, [{"free": Q(price=0), "paid": Q(price__gt=0)}[value] for value in values])
    if name == "certificate":
        return Q(certificate=True)
    return Q(**{f"{COLUMN_FACETS[name][0]}__in": values})


def grouped_counts(queryset, filters: dict) -> dict:
    """Every facet's counts and the total in one statement: the matches are read once into a CTE."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db import connections

    from courses.models import Course, Topic

    active = [name for name in FACETS if filters.get(name)]
    flags = {
        f"in_{name}": ExpressionWrapper(condition(name, filters[name]), output_field=BooleanField()) for name in active
    }
    columns = {
        "f_kind": F("kind"),
        "f_level": F("level"),
        "f_language": F("language"),
        "f_provider": F("provider__slug"),
        "f_provider_name": F("provider__name"),
        "f_price": F("price"),
        "f_certificate": F("certificate"),
        "f_topics": ArraySubquery(Course.topics.through.objects.filter(course_id=OuterRef("pk")).values("topic_id")),
    }
    matches = queryset.order_by().annotate(**columns, **flags).values(*columns, *flags)
    sql, params = matches.query.sql_with_params()
    topics = {pk: (slug, name) for pk, slug, name in Topic.objects.values_list("pk", "slug", "name")}
    careers = {}  # slug → (name, [topic ids]), through the guides app's Career.topics, without importing it
    for slug, name, topic_id in Topic.careers.through.objects.values_list("career__slug", "career__name", "topic_id"):
        careers.setdefault(slug, (name, []))[1].append(topic_id)

    def others(skip: str) -> str:
        return " AND ".join([f"m.in_{name}" for name in active if name != skip]) or "TRUE"

    career_rows = (
        " UNION ALL ".join(["SELECT %s::text, %s::bigint[]"] * len(careers))
        or "SELECT NULL::text, NULL::bigint[] WHERE FALSE"
    )
    career_params = [value for slug, (_, ids) in careers.items() for value in (slug, ids)]
    statement = f"""
        WITH m AS MATERIALIZED ({sql})
        SELECT 'columns', m.f_kind, m.f_level, m.f_language, m.f_provider, MIN(m.f_provider_name),
               GROUPING(m.f_kind), GROUPING(m.f_level), GROUPING(m.f_language), GROUPING(m.f_provider),
               COUNT(*) FILTER (WHERE {others("kind")}),
               COUNT(*) FILTER (WHERE {others("level")}),
               COUNT(*) FILTER (WHERE {others("language")}),
               COUNT(*) FILTER (WHERE {others("provider")}),
               COUNT(*) FILTER (WHERE m.f_price = 0 AND {others("price")}),
               COUNT(*) FILTER (WHERE m.f_price > 0 AND {others("price")}),
               COUNT(*) FILTER (WHERE m.f_certificate AND {others("certificate")}),
               COUNT(*) FILTER (WHERE {others("")})
        FROM m
        GROUP BY GROUPING SETS ((m.f_kind), (m.f_level), (m.f_language), (m.f_provider), ())
        UNION ALL
        SELECT 'topic', t.topic_id::text, NULL, NULL, NULL, NULL, 1, 1, 1, 1, COUNT(*), 0, 0, 0, 0, 0, 0, 0
        FROM m CROSS JOIN LATERAL unnest(m.f_topics) AS t(topic_id)
        WHERE {others("topic")}
        GROUP BY t.topic_id
        UNION ALL
        SELECT 'career', c.slug, NULL, NULL, NULL, NULL, 1, 1, 1, 1, COUNT(*), 0, 0, 0, 0, 0, 0, 0
        FROM m JOIN ({career_rows}) AS c(slug, topic_ids) ON m.f_topics && c.topic_ids
        WHERE {others("career")}
        GROUP BY c.slug
    """
    counts = {name: {} for name in [*COLUMN_FACETS, "topic", "career"]}
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, [*params, *career_params])
        for part, kind, level, language, provider, provider_name, *grouping, n_kind, n_level, n_language, \
                n_provider, free, paid, certified, total in cursor.fetchall():  # fmt: skip
            if part == "topic":
                slug, name = topics[int(kind)]
                counts["topic"][slug] = (name, n_kind)
            elif part == "career":
                counts["career"][kind] = (careers[kind][0], n_kind)
            elif not grouping[0]:
                counts["kind"][kind] = (kind, n_kind)
            elif not grouping[1]:
                counts["level"][level] = (level, n_level)
            elif not grouping[2]:
                counts["language"][language] = (language, n_language)
            elif not grouping[3]:
                if provider is not None:
                    counts["provider"][provider] = (provider_name, n_provider)
            else:
                counts["price"] = {"free": ("Free", free), "paid": ("Paid", paid)}
                counts["certificate"] = {True: ("With certificate", certified)}
                counts["total"] = total
    return counts


def options(counts: dict, filters: dict) -> list[dict]:
    """Facets as the template shows them: a legend and (value, label, count, checked) rows, biggest first."""
    from courses.models import Course

    labels = {"kind": dict(Course.Kind.choices), "level": dict(Course.Level.choices)}
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
    return facets
