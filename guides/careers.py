"""The career explorer's reads: occupation profiles, their catalog items, and comparisons of two careers.

Cross-app reads (occupations → technologies → catalog topics → courses) live here rather than on the models.
"""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Subquery

from courses.catalog import best_in_topics
from courses.models import Course, summarize
from courses.models.catalog import Totals
from guides.models import Career, Occupation, OccupationTechnology, RelatedOccupation

PAGE_SIZE = 25
RELATED_SHOWN = 10
TECHNOLOGIES_SHOWN = 24
CATALOG_ITEMS = 6
GAP_ITEMS = 10


@dataclass
class Exploration:
    page: Page
    counts: dict


def explore(filters: dict, page_number) -> Exploration:
    """One page of occupations for the explorer and every facet's counts, with the title a search matched on each:
    three queries whatever the filters and the page.
    """
    matches = Occupation.objects.search(filters["q"])
    counts = matches.facet_counts(filters)
    found = matches.filtered(filters).with_guides().sorted_by(filters["sort"])
    found = found.only(
        "code", "title", "slug", "job_zone", "interest_code", "median_wage", "median_wage_top_coded",
        "employment_change_percent", "annual_openings", "entry_education", "growth_band",
    )  # fmt: skip
    paginator = Paginator(found, PAGE_SIZE)
    paginator.count = counts["total"]  # counted already, with the same filters: no COUNT query
    page = paginator.get_page(page_number)
    if filters["q"] and counts["total"]:
        page.object_list = list(page.object_list)
        ids = [occupation.pk for occupation in page.object_list]
        matched = Occupation.objects.filter(pk__in=ids).matched_titles(filters["q"])
        for occupation in page.object_list:
            occupation.matched_title = matched.get(occupation.pk, "")
    return Exploration(page=page, counts=counts)


def guide_for(occupation: Occupation) -> Career | None:
    return Career.objects.published().filter(occupation=occupation).first()


@dataclass
class Profile:
    occupation: Occupation
    related: list = field(default_factory=list)
    technologies: list = field(default_factory=list)
    technology_count: int = 0
    courses: list = field(default_factory=list)
    totals: Totals | None = None


def profile(occupation: Occupation) -> Profile:
    """What a career page shows of its occupation: related careers, technologies (hot and in demand first,
    with their catalog topics) and the catalog's best items for those topics. Four queries (one cached).
    """
    guides = Career.objects.published().filter(occupation=OuterRef("related_id")).values("slug")[:1]
    related = list(
        RelatedOccupation.objects.filter(occupation=occupation)
        .select_related("related")
        .annotate(guide_slug=Subquery(guides))
        .order_by("position")[:RELATED_SHOWN]
    )
    for link in related:
        link.related.guide_slug = link.guide_slug
    technologies = list(
        OccupationTechnology.objects.filter(occupation=occupation)
        .select_related("technology__topic")
        .order_by("-in_demand", "-hot", "technology__topic", "technology__name")
    )
    topics = {link.technology.topic_id for link in technologies if link.technology.topic_id}
    courses = [course for course, _ in _best_for(topics, CATALOG_ITEMS)]
    return Profile(
        occupation=occupation,
        related=[link.related for link in related],
        technologies=technologies,
        technology_count=len(technologies),
        courses=courses,
        totals=summarize(courses) if courses else None,
    )


def is_linked_pair(a: Occupation, b: Occupation) -> bool:
    """Whether `a`'s profile links to the comparison with `b` (one of its RELATED_SHOWN related careers)."""
    return RelatedOccupation.objects.filter(occupation=a, related=b, position__lte=RELATED_SHOWN).exists()


def _best_for(topic_ids, count: int) -> list[tuple[Course, tuple]]:
    """The catalog's best items covering most of `topic_ids` (the guides' recommendation rule, cached)."""
    if not topic_ids:
        return []
    key = tuple(sorted(topic_ids))
    return best_in_topics([key], per_set=count).get(key, [])


def find_occupation(text: str) -> Occupation | None:
    """The occupation a compare query names: a career's or an occupation's slug, else the best title match."""
    text = text.strip()
    if not text:
        return None
    occupations = Occupation.objects.with_guides()
    career = Career.objects.published().filter(slug=text, occupation__isnull=False).first()
    if career is not None:
        return occupations.get(pk=career.occupation_id)
    return occupations.filter(slug=text).first() or occupations.search(text).first()


@dataclass
class Comparison:
    a: Occupation
    b: Occupation
    shared: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # B's technologies that A's list lacks
    gap_topics: list = field(default_factory=list)
    courses: list = field(default_factory=list)
    totals: Totals | None = None
    free_totals: Totals | None = None


def compare(a: Occupation, b: Occupation) -> Comparison:
    """What B needs that A lacks: B's technologies not on A's list, the catalog topics that teach them and
    the catalog items that cover most of those topics, with their totals (all, and free only)."""
    links = OccupationTechnology.objects.filter(occupation__in=[a, b]).select_related("technology__topic")
    by_occupation = {a.pk: {}, b.pk: {}}
    for link in links.order_by("-in_demand", "-hot", "technology__name"):
        by_occupation[link.occupation_id][link.technology_id] = link
    a_links, b_links = by_occupation[a.pk], by_occupation[b.pk]
    shared = [link for pk, link in b_links.items() if pk in a_links]
    missing = [link for pk, link in b_links.items() if pk not in a_links]
    a_topics = {link.technology.topic_id for link in a_links.values()}
    gap = {}
    for link in missing:
        topic = link.technology.topic
        if topic is not None and topic.pk not in a_topics:
            gap.setdefault(topic.pk, topic)
    courses = [course for course, _ in _best_for(gap, GAP_ITEMS)]
    free = [course for course in courses if course.is_free]
    return Comparison(
        a=a,
        b=b,
        shared=shared,
        missing=missing,
        gap_topics=sorted(gap.values(), key=lambda topic: topic.name),
        courses=courses,
        totals=summarize(courses) if courses else None,
        free_totals=summarize(free) if free else None,
    )
