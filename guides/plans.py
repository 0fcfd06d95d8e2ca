"""Learning plans (#17): making one from a guide, and the small idempotent changes a learner makes to it.

Every change touches one item (or the plan's own fields) with one UPDATE, INSERT or DELETE by its identity,
never a rewrite of the plan: two tabs or two devices editing at once both keep their changes, and a repeated
POST finds its work done.
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from courses.models import Course, summarize
from courses.models.catalog import Totals, format_hours
from guides.models import (
    PLAN_ADDED_ANCHOR,
    PLAN_MAX_ITEMS,
    Career,
    GuideSection,
    LearningPlan,
    PlanItem,
    PlanSection,
)

TOUCH_EVERY = dt.timedelta(hours=1)  # touched_at only decides removal after months: spare most writes
ALTERNATIVES_SHOWN = 5


class PlanFull(Exception):
    """The plan already holds PLAN_MAX_ITEMS items."""


class AlreadyInPlan(Exception):
    """The course is already an item of the plan."""


# -- writes -----------------------------------------------------------------------------------------------


@transaction.atomic
def create_plan(*, career: Career) -> LearningPlan:
    """A plan of `career`'s visible sections and what each recommends now (the guide page's own choice),
    each item once: an item two sections recommend stays in the first.
    """
    career = Career.objects.with_sections().get(pk=career.pk)
    career.attach_recommendations()
    plan = LearningPlan.objects.create(career=career, title=f"{career.name} plan"[:120])
    items, seen = [], set()
    for place, section in enumerate(career.visible_sections, start=1):
        plan_section = PlanSection.objects.create(
            plan=plan, kind=section.kind, anchor=section.anchor, heading=section.heading, position=place * 10
        )
        for position, course in enumerate(section.recommendations):
            if course.pk in seen or len(seen) >= PLAN_MAX_ITEMS or not course.published:  # a retired pick
                continue
            seen.add(course.pk)
            items.append(
                PlanItem(plan=plan, section=plan_section, course=course, title=course.title, position=position)
            )
    PlanItem.objects.bulk_create(items)
    return plan


def add_course(*, plan: LearningPlan, course: Course, section: PlanSection | None = None) -> tuple[PlanItem, bool]:
    """Put `course` in `plan` (in `section`, else the section of added items): the existing item and False if
    it is there already, so a double submit adds it once. Raises PlanFull at PLAN_MAX_ITEMS.
    """
    existing = PlanItem.objects.filter(plan=plan, course=course).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            # Serializes additions to one plan, so two at once cannot pass the limit together.
            LearningPlan.objects.select_for_update().filter(pk=plan.pk).first()
            if PlanItem.objects.filter(plan=plan).count() >= PLAN_MAX_ITEMS:
                raise PlanFull
            if section is None:
                section = _added_section(plan)
            position = (section.items.aggregate(last=Max("position"))["last"] or 0) + 1
            item = PlanItem.objects.create(
                plan=plan, section=section, course=course, title=course.title[:300], position=position
            )
    except IntegrityError:  # the same course added by a concurrent request a moment ago
        return PlanItem.objects.get(plan=plan, course=course), False
    touch(plan)
    return item, True


def _added_section(plan: LearningPlan) -> PlanSection:
    last = plan.sections.aggregate(last=Max("position"))["last"] or 0
    section, _ = PlanSection.objects.get_or_create(
        plan=plan,
        anchor=PLAN_ADDED_ANCHOR,
        defaults={"kind": GuideSection.Kind.OTHER, "heading": "Added from the catalog", "position": last + 10},
    )
    return section


def set_status(*, plan: LearningPlan, item_id: int, status: str) -> bool:
    """Set one item's status (not toggle it: a repeated tick changes nothing); False if there is no such item.

    The item's updated_at keeps the plan from going stale (LearningPlan.objects.untouched_since), so a tick
    writes one row and never the plan's touched_at: that second UPDATE and commit, once an hour a plan, cost
    the first tick of a session 1-2 ms more (bench/plans.py).
    """
    changed = PlanItem.objects.filter(plan=plan, pk=item_id).update(status=status, updated_at=timezone.now())
    return bool(changed)


def remove_item(*, plan: LearningPlan, item_id: int) -> None:
    """Remove one item; removing it again is no error."""
    PlanItem.objects.filter(plan=plan, pk=item_id).delete()
    touch(plan)


def move_item(*, plan: LearningPlan, item_id: int, section: PlanSection) -> bool:
    """Move one item to the end of another section of the same plan, keeping its progress."""
    if section.plan_id != plan.pk:
        return False
    item = PlanItem.objects.filter(plan=plan, pk=item_id).only("section_id").first()
    if item is None:
        return False
    if item.section_id != section.pk:
        position = (section.items.aggregate(last=Max("position"))["last"] or 0) + 1
        PlanItem.objects.filter(pk=item.pk).update(section=section, position=position, updated_at=timezone.now())
    touch(plan)
    return True


def switch_item(*, plan: LearningPlan, item_id: int, course: Course) -> bool:
    """Put `course` in place of one item's course (an alternative), to do; a repeat is a no-op.
    Raises AlreadyInPlan if another item of the plan is that course.
    """
    item = PlanItem.objects.filter(plan=plan, pk=item_id).first()
    if item is None:
        return False
    if item.course_id == course.pk:
        return True
    try:
        with transaction.atomic():
            PlanItem.objects.filter(pk=item.pk).update(
                course=course, title=course.title[:300], status=PlanItem.Status.TODO, updated_at=timezone.now()
            )
    except IntegrityError as error:
        raise AlreadyInPlan from error
    touch(plan)
    return True


def update_plan(*, plan: LearningPlan, title: str, hours_per_week: Decimal) -> None:
    now = timezone.now()
    LearningPlan.objects.filter(pk=plan.pk).update(title=title, hours_per_week=hours_per_week, touched_at=now)
    plan.title, plan.hours_per_week = title, hours_per_week


def touch(plan: LearningPlan) -> None:
    """Mark the plan as in use (remove_stale_plans keeps it), at most one write per TOUCH_EVERY."""
    now = timezone.now()
    if plan.touched_at is None or plan.touched_at < now - TOUCH_EVERY:  # as loaded: most repeats skip the write
        LearningPlan.objects.filter(pk=plan.pk, touched_at__lt=now - TOUCH_EVERY).update(touched_at=now)
        plan.touched_at = now


def remove_stale_plans(*, untouched_for: dt.timedelta) -> int:
    """Delete plans nobody has changed for `untouched_for`; returns how many."""
    _, per_model = LearningPlan.objects.untouched_since(timezone.now() - untouched_for).delete()
    return per_model.get(LearningPlan._meta.label, 0)


# -- reads ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How far a learner is, and when they would finish at their pace."""

    total: int
    done: int
    doing: int
    remaining_hours: Decimal
    hours_complete: bool  # every item still to do has a known duration

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def sentence(self) -> str:
        return f"{self.done} of {self.total} done" + (f", {self.doing} in progress" if self.doing else "")

    def weeks_left(self, hours_per_week: Decimal) -> int:
        if not self.remaining_hours or not hours_per_week:
            return 0
        return math.ceil(self.remaining_hours / hours_per_week)

    def finish_date(self, hours_per_week: Decimal, *, today: dt.date) -> dt.date | None:
        """Today plus the hours still to do at `hours_per_week`; None when nothing with a known length is left."""
        if not self.remaining_hours or not hours_per_week:
            return None
        return today + dt.timedelta(days=math.ceil(self.remaining_hours / hours_per_week * 7))

    def remaining_sentence(self) -> str:
        if not self.remaining_hours:
            return "no hours left that we know of"
        return f"{'about' if self.hours_complete else 'at least'} {format_hours(self.remaining_hours)} hours left"


@dataclass
class TickRead:
    """What an htmx tick reads, in one query: the plan, the ticked item with what its form shows, and every
    item's (id, section id, status, offered, hours) for the progress the fragment re-renders.
    """

    plan: LearningPlan
    item: PlanItem
    rows: list[tuple[int, int, str, bool, Decimal | None]]

    def progress_by_section(self) -> tuple[dict[int, Progress], Progress]:
        """({section id: Progress}, the whole plan's Progress), the ticked item counted at `item.status` (the
        status the tick set, not the one read before its UPDATE). Summing a plan's (at most 300) rows here costs
        a third of building five filtered aggregates.
        """
        by_section = defaultdict(list)
        for pk, section_id, status, offered, hours in self.rows:
            by_section[section_id].append((self.item.status if pk == self.item.pk else status, offered, hours))
        sections = {section_id: _progress_of(counted) for section_id, counted in by_section.items()}
        return sections, _whole(sections.values())


def read_tick(*, token: str, item_id: int) -> TickRead | None:
    """The plan at `token` with item `item_id` and all its items' progress rows; None if either is missing.

    One query of the plan's item rows, the plan's columns joined in: a query for the item and its plan (the
    ORM compiled its select_related + only() longer than the database ran it) and another for the progress
    rows were half of a tick's time.
    """
    # The plan's columns repeat on every row, but not touched_at, which a tick never needs: decoding 60
    # timestamps was a fifth of this query's time.
    found = PlanItem.objects.filter(plan__token=token).order_by().values_list(
        "pk", "section_id", "status", "course__published", "course__duration_hours",  # every item: progress
        "title", "course_id", "course__price",  # the ticked item's form
        "plan_id", "plan__hours_per_week",  # the plan's
    )  # fmt: skip
    rows = list(found)
    ticked = next((row for row in rows if row[0] == item_id), None)
    if ticked is None:
        return None
    pk, section_id, status, published, _, title, course_id, price, plan_id, hours_per_week = ticked
    plan = _loaded(LearningPlan, found.db, id=plan_id, token=token, hours_per_week=hours_per_week)
    item = _loaded(
        PlanItem,
        found.db,
        id=pk,
        plan_id=plan_id,
        section_id=section_id,
        course_id=course_id,
        title=title,
        status=status,
    )
    item.plan = plan
    item.course = _loaded(Course, found.db, id=course_id, price=price, published=published) if course_id else None
    progress_rows = [(row[0], row[1], row[2], bool(row[3]), row[4]) for row in rows]  # no course: not offered
    return TickRead(plan=plan, item=item, rows=progress_rows)


def _loaded(model, db: str, **values):
    """An instance as a query of only these fields (`only()`) loads it: the other fields deferred, read from the
    database if something asks for them, rather than filled with their defaults (a new token, today's date).
    """
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


def _progress_of(rows) -> Progress:
    """Progress over (status, offered, hours) rows: the page's items or the rows a tick reads, counted alike."""
    total = done = doing = 0
    hours_left, hours_complete = Decimal(0), True
    for status, offered, hours in rows:
        total += 1
        if status == PlanItem.Status.DONE:
            done += 1
            continue
        if status == PlanItem.Status.DOING:
            doing += 1
        if offered:
            hours_left += hours or 0
            hours_complete = hours_complete and bool(hours)
    return Progress(total, done, doing, hours_left, hours_complete)


def _whole(parts) -> Progress:
    parts = list(parts)
    return Progress(
        total=sum(p.total for p in parts),
        done=sum(p.done for p in parts),
        doing=sum(p.doing for p in parts),
        remaining_hours=sum((p.remaining_hours for p in parts), Decimal(0)),
        hours_complete=all(p.hours_complete for p in parts),
    )


@dataclass
class PlanView:
    """A plan as its pages show it: sections with their items, totals and progress."""

    plan: LearningPlan
    sections: list[PlanSection]
    totals: Totals
    free_totals: Totals
    progress: Progress
    finish_date: dt.date | None
    weeks_left: int


def plan_view(plan: LearningPlan) -> PlanView:
    """Everything the plan page, its print view and exports show, in three queries whatever the plan's size."""
    sections = list(plan.sections.all())
    items = list(PlanItem.objects.filter(plan=plan).for_page().order_by("position", "pk"))
    by_section = {section.pk: section for section in sections}
    for section in sections:
        section.plan_items = []
    for item in items:
        by_section[item.section_id].plan_items.append(item)
    for section in sections:
        # The guide's own summing and wording, so a fresh plan's section reads as the guide's section does.
        section.totals = summarize([item.course for item in section.plan_items if item.offered])
        section.progress = _progress_of(
            (item.status, item.offered, item.course.duration_hours if item.offered else None)
            for item in section.plan_items
        )
    whole = _whole(section.progress for section in sections)
    courses = [item.course for item in items if item.offered]
    return PlanView(
        plan=plan,
        sections=sections,
        totals=summarize(courses),
        free_totals=summarize([course for course in courses if course.is_free]),
        progress=whole,
        finish_date=whole.finish_date(plan.hours_per_week, today=timezone.localdate()),
        weeks_left=whole.weeks_left(plan.hours_per_week),
    )


def alternatives(*, plan: LearningPlan, item: PlanItem, free_only: bool) -> list[Course]:
    """Published items on the same topics as `item` (free ones only if `free_only`), not in the plan yet: the
    ones sharing most topics first, then the guides' tie-breaks (rating, how often rated, title).
    For an item whose course was deleted, the topics of the guide section it came from.
    """
    if item.course_id:
        topic_ids = list(item.course.topics.values_list("pk", flat=True))
    else:
        topic_ids = list(
            GuideSection.topics.through.objects.filter(
                guidesection__career_id=plan.career_id, guidesection__anchor=item.section.anchor
            ).values_list("topic_id", flat=True)
        )
    if not topic_ids:
        return []
    found = (
        Course.objects.published()
        .filter(topics__in=topic_ids)
        .exclude(pk__in=PlanItem.objects.filter(plan=plan, course__isnull=False).values("course_id"))
    )
    if free_only:
        found = found.filter(price=0)
    return list(
        found.summaries()
        .annotate(shared=Count("topics", filter=Q(topics__in=topic_ids)))
        .order_by("-shared", F("rating").desc(nulls_last=True), "-rating_count", "title", "pk")[:ALTERNATIVES_SHOWN]
    )
