import hashlib
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from django.db import reset_queries, transaction
from django.utils import timezone
from django.utils.text import slugify

from courses import search_index
from courses.catalog import catalog_changed
from courses.feed import DeletedRow, FeedRow, RejectedRow, read_feed
from courses.models import Course, Offer, Partner, Provider, SearchChange, Topic
from courses.signals import record_search_changes
from courses.tracking import forget_offers

BATCH_SIZE = 1000
PAGE_REPLACE_SECONDS = 5
# What an import owns on a course; everything else (slug, published, …) is the editors'.
FEED_FIELDS = [
    "kind", "title", "url", "description", "authors", "level", "language", "price", "currency",
    "certificate", "duration_hours", "isbn", "rating", "rating_count", "provider_id",
]  # fmt: skip


class _DryRunDone(Exception):
    def __init__(self, totals: Counter):
        self.totals = totals


def import_catalog(
    *,
    rows: Iterable[FeedRow | RejectedRow | DeletedRow],
    source: str,
    dry_run: bool = False,
    confirmed_at: datetime | None = None,
    on_rejected: Callable[[RejectedRow], None] = lambda row: None,
    on_batch: Callable[[Counter], None] = lambda totals: None,
) -> Counter:
    """Upsert feed rows by (source, external_id), in batches that each commit on their own.

    Returns counts of created / updated / unchanged / rejected / returned / deleted. A re-run of the same feed
    creates and updates nothing; an interrupted run keeps every committed batch, and running it again finishes
    the job. With dry_run, everything is checked and counted inside one transaction that is then rolled back.

    Every item the feed lists (a rejected row that names its id too) is stamped `feed_confirmed_at` (default:
    now); a retired item it lists returns (`return_courses`); a delta feed's deleted row retires its item.
    """
    confirmed_at = confirmed_at or timezone.now()
    if dry_run:
        try:
            with transaction.atomic():
                raise _DryRunDone(_import(rows, source, confirmed_at, on_rejected, on_batch))
        except _DryRunDone as done:
            return done.totals
    totals = _import(rows, source, confirmed_at, on_rejected, on_batch)
    if totals["created"] or totals["updated"] or totals["returned"] or totals["deleted"]:
        analyze_catalog_tables()
    search_index.prune_changes()
    return totals


def analyze_catalog_tables() -> None:
    """Refresh the query planner's statistics of the tables an import writes. A bulk import leaves them
    stale or, for new tables, missing: searches then ran 2-3x slower on PostgreSQL until autovacuum came by.
    """
    tables = [model._meta.db_table for model in (Course, Course.topics.through, Provider, Topic, Offer, SearchChange)]
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in tables))
        else:  # SQLite analyzes one table (and its indexes) at a time
            for table in tables:
                cursor.execute("ANALYZE " + connection.ops.quote_name(table))


def _import(rows, source, confirmed_at, on_rejected, on_batch) -> Counter:
    return _Import(source, confirmed_at, on_rejected, on_batch).run(rows)


class _Import:
    """One import: rows gathered into batches, each written in its own transaction (_BatchImporter.write).

    Cached pages are replaced (catalog_changed) after batches that changed something, at most every
    PAGE_REPLACE_SECONDS and once more at the end, even an interrupted end. A batch commits every half second or
    so: replacing the pages after each left a learner browsing during an import nothing but cold pages (the guide's
    p95 2.4 s, bench/feeds.py). Search is not delayed (the engine reads each batch from the change log as it
    commits), and retirements replace the pages at once (retire_courses): nothing unpublished stays cached.
    """

    def __init__(self, source, confirmed_at, on_rejected, on_batch):
        self.source, self.on_rejected, self.on_batch = source, on_rejected, on_batch
        self.importer = _BatchImporter(source, confirmed_at)
        self.totals = Counter(created=0, updated=0, unchanged=0, rejected=0, returned=0, deleted=0)
        self.batch: dict[str, FeedRow] = {}
        self.listed: set[str] = set()  # ids of rejected rows: still in the feed
        self.deletes: set[str] = set()
        self.pages_stale, self.pages_replaced = False, time.monotonic()

    def run(self, rows) -> Counter:
        try:
            for row in rows:
                self.add(row)
            self.flush()
        finally:
            self.replace_pages()
        return self.totals

    def add(self, row) -> None:
        if isinstance(row, RejectedRow):
            self.reject(row)
        elif isinstance(row, DeletedRow):
            if row.external_id in self.batch:
                self.flush()  # created or changed, then deleted: in the feed's order
            self.deletes.add(row.external_id)
        elif problem := self.importer.offer_problem(row):
            self.reject(RejectedRow(row.line, problem, external_id=row.external_id))
        else:
            # A repeated id is applied after the first, as an update: never two rows in one write.
            if row.external_id in self.batch or row.external_id in self.deletes or self.full():
                self.flush()
            self.batch[row.external_id] = row

    def reject(self, row: RejectedRow) -> None:
        self.totals["rejected"] += 1
        self.on_rejected(row)
        if row.external_id:
            self.listed.add(row.external_id)

    def full(self) -> bool:
        return len(self.batch) + len(self.deletes) >= BATCH_SIZE

    def flush(self) -> None:
        counts = self.importer.write(self.batch.values(), listed_too=self.listed)
        self.totals.update(counts)
        if self.deletes:
            deleted = Course.objects.filter(source=self.source, external_id__in=self.deletes)
            self.totals["deleted"] += retire_courses(deleted)
        changed = bool(counts["created"] or counts["updated"] or counts["returned"])
        if changed and not transaction.get_connection().in_atomic_block:  # a dry run's rows are rolled back
            search_index.live().catch_up()  # this host's index takes the batch now, not a learner's next search
        self.pages_stale |= changed
        if time.monotonic() - self.pages_replaced >= PAGE_REPLACE_SECONDS:
            self.replace_pages()
        self.on_batch(self.totals)
        reset_queries()  # with DEBUG on, Django would otherwise keep every batch's SQL in memory
        self.batch, self.listed, self.deletes = {}, set(), set()

    def replace_pages(self) -> None:
        if self.pages_stale:
            catalog_changed()
            self.pages_stale, self.pages_replaced = False, time.monotonic()


def retire_courses(courses) -> int:
    """Take published items out of the catalog because their feed no longer lists them: unpublished (so gone from
    search and the catalog), stamped `retired_at` (their page answers 410 with alternatives; guides and plans say
    "no longer offered"), their active offers paused. Slug, history and clicks stay for their return. An item an
    editor unpublished is left alone. Returns how many were retired.
    """
    now = timezone.now()
    ids = list(courses.published().values_list("pk", flat=True))  # published: never retired
    tokens = []
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        with transaction.atomic():
            Course.objects.filter(pk__in=chunk).update(published=False, retired_at=now, updated_at=now)
            offers = Offer.objects.filter(course_id__in=chunk, active=True)
            tokens += offers.values_list("token", flat=True)
            offers.update(active=False, paused_by_retirement=True)
            record_search_changes(SearchChange.Kind.COURSE, chunk)
    if ids:
        catalog_changed()
        forget_offers(tokens)
    return len(ids)


def _return_courses(course_ids: list[int], now) -> None:
    """Retired items a feed lists again are published again, with the offers their retirement paused; in the
    caller's transaction."""
    Course.objects.filter(pk__in=course_ids).update(published=True, retired_at=None, updated_at=now)
    Offer.objects.filter(course_id__in=course_ids, paused_by_retirement=True).update(
        active=True, paused_by_retirement=False
    )


class _BatchImporter:
    def __init__(self, source: str, confirmed_at: datetime):
        self.source = source
        self.confirmed_at = confirmed_at
        self.provider_ids = dict(Provider.objects.values_list("name", "id"))
        self.topic_names = Topic.objects.synonym_map()
        self.topic_ids = dict(Topic.objects.values_list("name", "id"))
        self.partners = {partner.slug: partner for partner in Partner.objects.all()}

    def offer_problem(self, row: FeedRow) -> str:
        """Why the row's partner offer cannot be imported (unknown partner, host not allowed), or ""."""
        if not row.partner:
            return ""
        partner = self.partners.get(row.partner)
        if partner is None:
            return f"partner: no partner with the slug {row.partner[:100]!r}"
        if not partner.allows(row.offer_url):
            return f"offer_url: not on one of {partner.name}'s allowed hosts"
        return ""

    @transaction.atomic
    def write(self, rows: Iterable[FeedRow], *, listed_too: Iterable[str] = ()) -> Counter:
        """Apply one batch in one transaction; the items of `listed_too` (rejected rows) are confirmed as listed."""
        rows = list(rows)
        counts = Counter()
        existing = {
            course.external_id: course
            for course in Course.objects.filter(source=self.source, external_id__in=[row.external_id for row in rows])
        }
        through = Course.topics.through
        current_topics: dict[int, set[int]] = {}
        for course_id, topic_id in through.objects.filter(course__in=existing.values()).values_list(
            "course_id", "topic_id"
        ):
            current_topics.setdefault(course_id, set()).add(topic_id)

        existing_offers = {
            (offer.course_id, offer.partner_id): offer
            for offer in Offer.objects.filter(course__in=existing.values(), partner__in=self.partners.values())
        }
        new_courses, new_topics, changed, topic_changes = [], {}, [], {}
        for row in rows:
            topic_names = self._topic_names(row.topics)
            values = self._values(row, topic_names)
            wanted_topics = {self._topic_id(name) for name in topic_names}
            course = existing.get(row.external_id)
            if course is None:
                course = Course(source=self.source, external_id=row.external_id, **values)
                new_courses.append(course)
                new_topics[row.external_id] = wanted_topics
                continue
            fields_changed = any(getattr(course, name) != value for name, value in values.items())
            topics_changed = current_topics.get(course.pk, set()) != wanted_topics
            if fields_changed:
                for name, value in values.items():
                    setattr(course, name, value)
                changed.append(course)
            if topics_changed:
                topic_changes[course.pk] = wanted_topics
            offer_changed = self._offer_changed(course, row, existing_offers)
            counts["updated" if fields_changed or topics_changed or offer_changed else "unchanged"] += 1

        self._assign_slugs(new_courses)
        Course.objects.bulk_create(new_courses, batch_size=BATCH_SIZE)
        counts["created"] += len(new_courses)
        if changed:
            now = timezone.now()  # auto_now is not applied by bulk_update
            for course in changed:
                course.updated_at = now
            Course.objects.bulk_update(changed, [*FEED_FIELDS, "updated_at"], batch_size=BATCH_SIZE)
        if topic_changes:
            through.objects.filter(course_id__in=topic_changes).delete()
        for course in new_courses:
            topic_changes[course.pk] = new_topics[course.external_id]
        through.objects.bulk_create(
            [
                through(course_id=course_id, topic_id=topic_id)
                for course_id, ids in topic_changes.items()
                for topic_id in ids
            ],
            batch_size=5000,
        )
        self._write_offers(rows, existing, new_courses, existing_offers)
        returning = [course.pk for course in existing.values() if course.retired_at is not None]
        if returning:
            _return_courses(returning, timezone.now())
            counts["returned"] += len(returning)
        listed = [row.external_id for row in rows] + list(listed_too)
        for start in range(0, len(listed), BATCH_SIZE):  # `listed_too` may hold one more batch's worth
            Course.objects.filter(source=self.source, external_id__in=listed[start : start + BATCH_SIZE]).update(
                feed_confirmed_at=self.confirmed_at
            )
        # In this batch's transaction: every host's search index shows the batch once it commits.
        touched = {course.pk for course in [*new_courses, *changed]} | set(topic_changes) | set(returning)
        record_search_changes(SearchChange.Kind.COURSE, sorted(touched))
        return counts

    def _offer_changed(self, course: Course, row: FeedRow, existing_offers: dict) -> bool:
        if not row.partner:
            return False
        offer = existing_offers.get((course.pk, self.partners[row.partner].pk))
        return offer is None or (offer.url, offer.commission_tag) != (row.offer_url, row.commission_tag)

    def _write_offers(self, rows, existing, new_courses, existing_offers) -> None:
        """Create or update the partner offer each row carries. The admin owns everything else about an
        offer (active, link health), so an import never revives an offer a manager switched off.
        """
        courses = {**existing, **{course.external_id: course for course in new_courses}}
        created, updated = [], []
        for row in rows:
            if not row.partner:
                continue
            course, partner = courses[row.external_id], self.partners[row.partner]
            offer = existing_offers.get((course.pk, partner.pk))
            if offer is None:
                created.append(
                    Offer(course=course, partner=partner, url=row.offer_url, commission_tag=row.commission_tag)
                )
            elif (offer.url, offer.commission_tag) != (row.offer_url, row.commission_tag):
                offer.url, offer.commission_tag = row.offer_url, row.commission_tag
                updated.append(offer)
        Offer.objects.bulk_create(created)
        Offer.objects.bulk_update(updated, ["url", "commission_tag"])
        forget_offers([offer.token for offer in updated])

    def _values(self, row: FeedRow, topic_names: list[str]) -> dict:
        authors = ", ".join(row.authors)
        return {
            "kind": row.kind,
            "title": row.title,
            "url": row.url,
            "description": row.description,
            "authors": authors[:500],
            "level": row.level,
            "language": row.language,
            "price": row.price,
            "currency": row.currency,
            "certificate": row.certificate,
            "duration_hours": row.duration_hours,
            "isbn": row.isbn,
            "rating": row.rating,
            "rating_count": row.rating_count,
            "provider_id": self._provider_id(row.provider),
        }

    def _provider_id(self, name: str) -> int | None:
        if not name:
            return None
        if name not in self.provider_ids:
            provider, _ = Provider.objects.get_or_create(name=name, defaults={"slug": _unique_slug(Provider, name)})
            self.provider_ids[name] = provider.pk
        return self.provider_ids[name]

    def _topic_names(self, names: list[str]) -> list[str]:
        """Feed topic names resolved to our topics by name, slug or synonym; unknown ones become new topics."""
        resolved = []
        for name in names:
            key = name.lower()
            if key not in self.topic_names and slugify(name) not in self.topic_names:
                topic, _ = Topic.objects.get_or_create(name=name, defaults={"slug": _unique_slug(Topic, name)})
                self.topic_names[key] = topic.name
                self.topic_ids[topic.name] = topic.pk
            canonical = self.topic_names.get(key) or self.topic_names[slugify(name)]
            if canonical not in resolved:
                resolved.append(canonical)
        return resolved

    def _topic_id(self, name: str) -> int:
        if name not in self.topic_ids:
            self.topic_ids[name] = Topic.objects.get(name=name).pk
        return self.topic_ids[name]

    def _assign_slugs(self, courses: list[Course]) -> None:
        """Readable slugs from titles; a short hash of the source id separates equal titles. Never changed later."""
        wanted = [(course, slugify(course.title)[:90].strip("-") or "item") for course in courses]
        taken = set(Course.objects.filter(slug__in=[slug for _, slug in wanted]).values_list("slug", flat=True))
        for course, slug in wanted:
            if slug in taken:
                digest = hashlib.sha1(f"{self.source}:{course.external_id}".encode()).hexdigest()[:8]
                slug = f"{slug}-{digest}"
            taken.add(slug)
            course.slug = slug


def _unique_slug(model, name: str) -> str:
    base = slugify(name)[:90] or "item"
    slug, suffix = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


DEMO_DIR = Path(__file__).resolve().parent / "demo"


def load_topics(*, topics: Iterable[dict]) -> int:
    """Create the topics that are missing (by name) and describe those without a description; an editor's
    changes to existing ones are kept.
    """
    created = 0
    for topic in topics:
        description = topic.get("description", "")
        existing, was_created = Topic.objects.get_or_create(
            name=topic["name"],
            defaults={
                "slug": _unique_slug(Topic, topic["name"]),
                "synonyms": ", ".join(topic.get("synonyms", [])),
                "description": description,
            },
        )
        if not existing.description and description:
            existing.description = description
            existing.save(update_fields=["description"])
        created += was_created
    return created


def load_demo_catalog() -> tuple[int, Counter]:
    """The demo topics and catalog (courses/demo/); safe to run again. Returns (topics created, import counts)."""
    with (DEMO_DIR / "topics.toml").open("rb") as file:
        topics_created = load_topics(topics=tomllib.load(file)["topics"])
    with (DEMO_DIR / "catalog.jsonl").open("rb") as stream:
        totals = import_catalog(rows=read_feed(stream, format="jsonl"), source="demo")
    with (DEMO_DIR / "partners.toml").open("rb") as file:
        load_partners(partners=tomllib.load(file)["partners"], source="demo")
    return topics_created, totals


@transaction.atomic
def load_partners(*, partners: Iterable[dict], source: str) -> int:
    """Create the partners that are missing (by slug) and their offers on the listed items of `source`.
    What a partner manager changed since (rates, hosts, switched-off offers) is kept. Returns offers created.
    """
    created = 0
    for data in partners:
        partner, _ = Partner.objects.get_or_create(
            slug=data["slug"],
            defaults={
                "name": data["name"],
                "allowed_hosts": "\n".join(data["allowed_hosts"]),
                "commission_description": data.get("commission_description", ""),
                "commission_rate": data.get("commission_rate"),
                "tag_parameters": data.get("tag_parameters", ""),
            },
        )
        partner.full_clean()
        for course in Course.objects.filter(source=source, external_id__in=data["offers"]):
            offer = Offer(course=course, partner=partner, url=course.url, commission_tag=data.get("commission_tag", ""))
            if not Offer.objects.filter(course=course, partner=partner).exists():
                offer.full_clean()
                offer.save()
                created += 1
    return created
