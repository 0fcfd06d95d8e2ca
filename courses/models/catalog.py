from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db import connections, models
from django.db.models import Case, Count, Max, Q, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords

from courses import facets, search, search_engine
from courses.text import VisibleNames


class Provider(VisibleNames, models.Model):
    visible_name_fields = ("name",)

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


SYNONYMS_CACHE_KEY = "courses:topic-synonyms"


class TopicQuerySet(models.QuerySet):
    def synonym_map(self) -> dict[str, str]:
        """Every lower-cased name, slug and synonym mapped to its topic's name: what learners type → what we index.

        Every search reads it, so it is cached until a topic is saved or deleted.
        """
        return cache.get_or_set(SYNONYMS_CACHE_KEY, self._build_synonym_map, timeout=3600)

    def popular(self):
        """Topics with the most published items first: what to suggest when a search finds nothing."""
        return (
            self.annotate(item_count=Count("courses", filter=Q(courses__published=True)))
            .filter(item_count__gt=0)
            .order_by("-item_count", "name")
        )

    def _build_synonym_map(self) -> dict[str, str]:
        mapping = {}
        for name, slug, synonyms in self.values_list("name", "slug", "synonyms"):
            for term in [name, slug, *synonyms.split(",")]:
                if term.strip():
                    mapping[term.strip().lower()] = name
        return mapping


class Topic(VisibleNames, models.Model):
    visible_name_fields = ("name",)

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    synonyms = models.CharField(
        max_length=500,
        blank=True,
        help_text="Other words learners search for, comma-separated, e.g. “golang” for Go or “k8s” for Kubernetes.",
    )
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)  # the admin's stale-edit check (courses.stale_edits)

    history = HistoricalRecords()
    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete(SYNONYMS_CACHE_KEY)  # searches expand the new names and synonyms at once

    def get_absolute_url(self):
        return reverse("courses:topic_detail", kwargs={"slug": self.slug})

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        cache.delete(SYNONYMS_CACHE_KEY)
        return result

    def synonym_list(self) -> list[str]:
        return [synonym.strip() for synonym in self.synonyms.split(",") if synonym.strip()]


class CourseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def published_or_retired(self):
        """What a learner may be shown: published items, and retired ones (as "no longer offered")."""
        return self.filter(Q(published=True) | Q(retired_at__isnull=False))

    def unconfirmed_since(self, moment):
        """Items from feeds that no feed has listed since `moment` (those added by hand have no feed)."""
        return self.exclude(source="manual").filter(Q(feed_confirmed_at__lt=moment) | Q(feed_confirmed_at__isnull=True))

    def search(self, text: str, *, ranked: bool = True):
        """Published matches for `text` (topic synonyms expanded), ids from the search index
        (courses.search_engine), best first unless `ranked` is False (cheaper when only filtering).
        """
        if not search.groups(text):
            return self
        ids = search_engine.ranked_ids(text)
        matches = self.filter(pk__in=search.id_list(ids, using=self.db))
        matches._search_text = text
        if not ranked:
            return matches
        return matches.annotate(rank=search.position_in(ids, using=self.db)).order_by("rank", "pk")

    def _clone(self):
        clone = super()._clone()
        clone._search_text = getattr(self, "_search_text", "")
        return clone

    def in_topic(self, topic_slugs):
        return self.filter(facets.condition("topic", topic_slugs)) if topic_slugs else self

    def filtered(self, filters: dict, *, skip: str = ""):
        """Apply the catalog's facet filters (AND across facets, OR within one), except the one named `skip`."""
        queryset = self
        for name in facets.FACETS:
            if name != skip and filters.get(name):
                queryset = queryset.filter(facets.condition(name, filters[name]))
        return queryset

    def facet_counts(self, filters: dict) -> dict[str, dict]:
        """For each facet, {value: (label, count)} over the published catalog matching this queryset's
        search() with every *other* facet applied, plus "total": the number of results with all of them.

        Counting each facet without its own filter is what lets a learner see how many results ticking
        one more value of it would add. Counted by the search index's aggregations (courses.search_engine).
        """
        return search_engine.counts(getattr(self, "_search_text", ""), filters)

    def best_ids_for_topic_sets(self, topic_sets, *, per_set: int) -> dict[tuple[int, ...], list[tuple]]:
        """For each set of topic ids, the ids of its `per_set` best matching courses, in one query:
        {sorted topic ids: [(course id, (ids of the set's topics the course has)), …]}, best first.

        The recommendation rule (guide sections without picks; the disclosure page tells learners):
        1. more of the set's topics covered first;
        2. then items mostly about them: fewer topics of their own (a PostgreSQL book before a survey of five
           subjects that touches PostgreSQL);
        3. then higher rated, then more often rated (unrated last);
        4. then free, then with a listed price, then without one;
        5. then with a known duration;
        6. then by title, ignoring case.
        Commission plays no part. It works without any rating, so a catalog without ratings is not ranked by title.

        Only ids: the ranking reads every link of the topics (a popular topic has tens of thousands), so its
        rows are kept narrow; courses.catalog.best_in_topics caches the answer and fetches the few courses.
        """
        topic_sets = sorted({tuple(sorted(set(topics))) for topics in topic_sets if topics})
        if not topic_sets:
            return {}
        wanted = sorted({topic for topics in topic_sets for topic in topics})
        # One row per candidate: which of the wanted topics it has, and what the tie-breaks read.
        candidates = (
            Course.topics.through.objects.filter(topic_id__in=wanted, course__in=self.values("pk"))
            .values("course_id")
            .annotate(
                topic_count=Count("course__topics", distinct=True),
                rating=Max("course__rating"),
                rating_count=Max("course__rating_count"),
                price_rank=Max(
                    Case(
                        When(course__price=0, then=Value(0)),
                        When(course__price__isnull=False, then=Value(1)),
                        default=Value(2),
                    )
                ),
                length_rank=Max(Case(When(course__duration_hours__gt=0, then=Value(0)), default=Value(1))),
                sort_title=Max(Lower("course__title")),
                **{
                    f"has_{topic}": Max(Case(When(topic_id=topic, then=Value(1)), default=Value(0))) for topic in wanted
                },
            )
            .order_by()
        )
        # The ranking goes over those rows in plain SQL: one narrow row per (set, item that has any of its
        # topics) and one window partitioned by set. As ORM annotations each set needed its own window,
        # sorting every candidate with every column once per set (ten times slower on 150,000 items).
        inner, params = candidates.query.sql_with_params()
        name = connections[self.db].ops.quote_name
        per_set_rows = []
        for index, topics in enumerate(topic_sets):
            has = [name(f"has_{topic}") for topic in topics]
            # Which of the set's topics the item has, as bits (a set of more than 62 topics reports its first 62).
            matched = " + ".join(f"{column} * {1 << bit}" for bit, column in enumerate(has[:62]))
            per_set_rows.append(
                f"SELECT {index} AS set_index, course_id, {' + '.join(has)} AS matches, {matched} AS matched, "
                f"topic_count, rating, rating_count, price_rank, length_rank, sort_title "
                f"FROM candidates WHERE {' + '.join(has)} > 0"
            )
        sql = (
            f"WITH candidates AS ({inner}) "
            "SELECT set_index, course_id, matched, place FROM ("
            "SELECT set_index, course_id, matched, ROW_NUMBER() OVER (PARTITION BY set_index ORDER BY matches DESC, "
            "topic_count, rating DESC NULLS LAST, rating_count DESC, price_rank, length_rank, sort_title, course_id"
            f") AS place FROM ({' UNION ALL '.join(per_set_rows)}) per_set"
            ") ranked WHERE place <= %s"
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [*params, per_set])
            rows = cursor.fetchall()
        best = {topics: [] for topics in topic_sets}
        for set_index, course_id, matched, place in rows:
            topics = topic_sets[set_index]
            best[topics].append((place, course_id, tuple(t for bit, t in enumerate(topics) if matched >> bit & 1)))
        return {
            topics: [(course_id, matched) for _, course_id, matched in sorted(found)] for topics, found in best.items()
        }

    def summaries(self):
        """Only what a one-line summary of an item shows (title and address, format, provider, price, hours),
        with the provider: a third less work per row than whole rows, which carry descriptions and the
        search document.
        """
        return self.select_related("provider").only(
            "kind", "title", "slug", "price", "currency", "duration_hours", "provider__name"
        )


class Course(VisibleNames, models.Model):
    visible_name_fields = ("title",)

    class Kind(models.TextChoices):
        COURSE = "course", "Course"
        BOOK = "book", "Book"

    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"
        UNKNOWN = "unknown", "Not stated"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COURSE)
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=320, unique=True, help_text="Part of the address; never changes once set.")
    description = models.TextField(blank=True)
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="courses")
    authors = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    url = models.URLField(max_length=2000, help_text="The course or book's own page (http or https).")
    level = models.CharField(max_length=12, choices=Level.choices, default=Level.UNKNOWN)
    language = models.CharField(max_length=8, default="en", help_text="ISO 639-1 code, e.g. en, de, es.")
    price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="0 means free; empty means unknown."
    )
    currency = models.CharField(max_length=3, default="USD")
    certificate = models.BooleanField(default=False, help_text="Offers a certificate of completion.")
    duration_hours = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    isbn = models.CharField("ISBN", max_length=17, blank=True)
    topics = models.ManyToManyField(Topic, related_name="courses", blank=True)
    seo_title = models.CharField(
        "title for search engines",
        max_length=70,
        blank=True,
        help_text="Shown in search results and shares, followed by “ · careerguide”. "
        "Blank: the title, its format and provider.",
    )
    seo_description = models.CharField(
        "description for search engines",
        max_length=160,
        blank=True,
        help_text="The snippet under the title in search results and shares. Blank: the start of the description.",
    )
    published = models.BooleanField(default=True)
    source = models.CharField(max_length=50, default="manual", help_text="The feed this came from.")
    external_id = models.CharField(max_length=200, help_text="The item's id in its source feed.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Written by imports (courses.services): when a feed last listed the item, and when a full feed stopped
    # listing it. A retired item is unpublished; it is published again if a later feed lists it.
    feed_confirmed_at = models.DateTimeField("a feed last listed it", null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(
        "retired", null=True, blank=True, editable=False, help_text="When its feed stopped listing it."
    )

    history = HistoricalRecords(excluded_fields=["feed_confirmed_at"])  # every pull moves it: not an edit
    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="course_unique_per_source"),
            models.CheckConstraint(condition=Q(price__gte=0) | Q(price__isnull=True), name="course_price_not_negative"),
            models.CheckConstraint(
                condition=Q(rating__gte=0, rating__lte=5) | Q(rating__isnull=True), name="course_rating_0_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["published", "kind"], name="course_published_kind"),
            models.Index(fields=["level"], name="course_level"),
            models.Index(fields=["language"], name="course_language"),
            models.Index(fields=["price"], name="course_price"),
            models.Index(fields=["-rating", "-rating_count"], name="course_rating"),
            models.Index(fields=["-created_at"], name="course_created"),
            models.Index(fields=["title"], name="course_title"),
            # A full feed's retirement step and the admin's "not confirmed for 30 days" list.
            models.Index(fields=["source", "feed_confirmed_at"], name="course_source_confirmed"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:detail", kwargs={"slug": self.slug})

    def page_title(self) -> str:
        if self.seo_title:
            return self.seo_title
        provider = f", {self.provider.name}" if self.provider_id else ""
        return f"{self.title} ({self.get_kind_display().lower()}{provider})"

    def page_description(self) -> str:
        return self.seo_description or Truncator(self.description).chars(155) or self.title

    def recommending_guides(self):
        """The published guides that recommend this item: their career's topics include one of its topics,
        or one of their published sections picks it. Reached through reverse relations (Topic.careers, the
        sections' picks), since courses never imports guides.
        """
        career = Topic.careers.rel.related_model
        return (
            career.objects.filter(published=True)
            .filter(Q(topics__courses=self) | Q(sections__picks=self, sections__published=True))
            .distinct()
            .order_by("name")
        )

    @property
    def site(self) -> str:
        """The host its button opens, without "www.": "cs50.harvard.edu"."""
        return site_of(self.url)

    def snippet(self, limit: int = 100) -> str:
        """The description cut at the last whole word within `limit` characters, "…" marking the cut."""
        text = " ".join(self.description.split())
        if len(text) <= limit:
            return text
        cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else text[:limit]
        return cut.rstrip(" ,;:.-–—") + "…"  # noqa: RUF001

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @property
    def price_text(self) -> str:
        """ "free", "USD 49.99", or "" for an unknown price: that is left out of a line, never announced."""
        if self.price is None:
            return ""
        return "free" if self.is_free else format_price(self.price, self.currency)

    def summary_line(self) -> str:
        """Format, provider, price and hours, e.g. "Course · Coursera · USD 49.99 · 12 h", for lists of
        recommendations (built here: as template logic it was a fifth of the guide's rendering time).
        """
        parts = [self.get_kind_display()]
        if self.provider_id:
            parts.append(self.provider.name)
        if self.price_text:  # an unknown price is left out, as in the totals
            parts.append(self.price_text)
        if self.duration_hours:
            parts.append(f"{format_hours(self.duration_hours)} h")
        return " · ".join(parts)

    def author_list(self) -> list[str]:
        return [author.strip() for author in self.authors.split(",") if author.strip()]


def site_of(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def format_hours(hours: Decimal) -> str:
    """12.0 -> "12", 12.5 -> "12.5" (durations are stored to a tenth of an hour)."""
    return f"{hours:.1f}".removesuffix(".0")


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def format_price(amount: Decimal, currency: str) -> str:
    """ "USD 49" for whole amounts, "USD 49.99" otherwise."""
    return f"{currency} {amount:.0f}" if amount == amount.to_integral_value() else f"{currency} {amount:.2f}"


def and_list(words: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True)
class Totals:
    """What a list of courses adds up to: count, the hours and cost that are known, and how many are free or paid."""

    count: int
    hours: Decimal
    hours_complete: bool
    cost: dict[str, Decimal]
    free_count: int
    paid_count: int

    def sentence(self) -> str:
        """E.g. "3 items · about 40 hours · free" or "3 items · at least 30 hours · 1 free, 1 paid at USD 49":
        what is not known (a price, a duration) is left out rather than announced.

        Built here rather than in the template: a guide shows one per section, and as template logic it was
        an eighth of the guide's rendering time (callgrind, bench/README.md).
        """
        parts = [plural(self.count, "item")]
        if self.hours:
            parts.append(f"{'about' if self.hours_complete else 'at least'} {format_hours(self.hours)} hours")
        cost = and_list([format_price(amount, currency) for currency, amount in self.cost.items()])
        in_total = " in total" if self.paid_count > 1 else ""
        if self.count and self.free_count == self.count:
            parts.append("free")
        elif self.count and self.paid_count == self.count:
            parts.append(f"{cost}{in_total}")
        else:
            known = [f"{self.free_count} free"] if self.free_count else []
            if self.paid_count:
                known.append(f"{self.paid_count} paid at {cost}{in_total}")
            parts += [", ".join(known)] if known else []
        return " · ".join(parts)


def summarize(courses) -> Totals:
    cost = defaultdict(Decimal)
    for course in courses:
        if course.price:
            cost[course.currency] += course.price
    return Totals(
        count=len(courses),
        hours=sum((course.duration_hours or 0 for course in courses), Decimal(0)),
        hours_complete=all(course.duration_hours for course in courses),
        cost=dict(sorted(cost.items())),
        free_count=sum(1 for course in courses if course.is_free),
        paid_count=sum(1 for course in courses if course.price),
    )


class SearchChange(models.Model):
    """One entry of the search index's change log: something a search can see changed (a course, or a topic,
    provider, career or offer whose courses it shows). Written in the transaction of the change; every host
    applies the entries after the last one it applied (courses.search_index), so each host's index catches up
    by itself, whatever process made the change.
    """

    class Kind(models.TextChoices):
        COURSE = "course"
        TOPIC = "topic"
        PROVIDER = "provider"
        CAREER = "career"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.kind} {self.object_id}"
