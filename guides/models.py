import copy
import hashlib
import math
import operator
import re
import secrets
import unicodedata
from collections import Counter
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from careerguide import cache_versions, page_cache
from courses.catalog import best_in_topics
from courses.models import Course, Offer, Topic, and_list, summarize
from courses.text import VisibleNames
from guides.markdown import render_markdown

RECOMMENDATIONS_PER_SECTION = 3
READING_WORDS_PER_MINUTE = 200  # a common figure for adults reading non-fiction on a screen
SECTIONS_PER_ITEM = 2  # the most sections of one guide that may recommend the same item


class CareerQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def matching(self, text: str):
        """Careers whose name, summary or alternative titles contain every word of `text`."""
        for word in text.split()[:10]:
            self = self.filter(
                Q(name__icontains=word) | Q(alternative_titles__icontains=word) | Q(summary__icontains=word)
            )
        return self

    def with_sections(self, *, include_drafts: bool = False):
        """Prefetch the sections a reader sees, in guide order (attach_recommendations adds what they recommend)."""
        sections = GuideSection.objects.order_by("position", "pk")
        if not include_drafts:
            sections = sections.published()
        return self.prefetch_related(Prefetch("sections", queryset=sections, to_attr="visible_sections"))

    def renamed_from(self, old_slug: str):
        """Careers that once used `old_slug` (read from the edit history, so renames need no bookkeeping)."""
        return self.filter(pk__in=Career.history.filter(slug=old_slug).values("id")).exclude(slug=old_slug)


class Career(VisibleNames, models.Model):
    visible_name_fields = ("name",)

    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text="Part of the guide's address. If you change it, the old address keeps working.",
    )
    summary = models.CharField(max_length=300, help_text="One or two sentences for lists and search results.")
    intro = models.TextField(help_text="Opening paragraphs of the guide, in Markdown.")
    alternative_titles = models.CharField(
        max_length=500,
        blank=True,
        help_text="Other job titles for this career, comma-separated, e.g. “Backend Developer, Server-side Engineer”.",
    )
    topics = models.ManyToManyField(
        "courses.Topic",
        related_name="careers",
        blank=True,
        help_text="The catalog's topics for this career: they decide which courses and books belong to it.",
    )
    seo_title = models.CharField(
        "title for search engines",
        max_length=70,
        blank=True,
        help_text="Shown in search results and shares, followed by “ · careerguide”. "
        "Blank: the career's name and “career guide”.",
    )
    seo_description = models.CharField(
        "description for search engines",
        max_length=160,
        blank=True,
        help_text="The snippet under the title in search results and shares. Blank: the summary.",
    )
    occupation = models.OneToOneField(
        "Occupation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="career",
        help_text="The O*NET occupation this guide is about: its profile (pay, outlook, interests, technologies) "
        "shows with the guide, and its address leads here.",
    )
    published = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = CareerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("guides:career_detail", kwargs={"slug": self.slug})

    def page_title(self) -> str:
        return self.seo_title or f"{self.name} career guide"

    def page_description(self) -> str:
        return self.seo_description or self.summary

    def alternative_title_list(self) -> list[str]:
        return [title.strip() for title in self.alternative_titles.split(",") if title.strip()]

    def intro_html(self) -> str:
        return render_markdown(self.intro)

    def attach_recommendations(self, *, per_section: int = RECOMMENDATIONS_PER_SECTION) -> None:
        """Give each visible section its `recommendations` (courses, each with its `recommendation_reason`) and
        their `totals`: the editor's published picks, or else the best matches for the section's topics (the
        rule is CourseQuerySet.best_ids_for_topic_sets'). Commission plays no part.

        Which items each section shows, and why, is cached under the page version, which any edit of a guide or
        the catalog replaces (careerguide/page_cache.py). So a render the page cache does not serve (an editor,
        or the first learner after an edit) reads the chosen items in one query instead of choosing them again.
        """
        sections = self.visible_sections
        section_ids = ",".join(str(section.pk) for section in sections)
        digest = hashlib.sha256(f"{per_section}:{section_ids}".encode()).hexdigest()[:32]

        def key(version):
            return f"guides:recommended-why:{version}:{self.pk}:{digest}"

        version, chosen_ids = cache_versions.current_entry(page_cache.VERSION_KEY, key)
        if chosen_ids is None:
            chosen = self._choose_recommendations(per_section)
            chosen_ids = {
                pk: [(course.pk, course.recommendation_reason) for course in courses] for pk, courses in chosen.items()
            }
            cache.set(key(version), chosen_ids, page_cache.PAGE_TIMEOUT)
        else:
            wanted = {course_id for found in chosen_ids.values() for course_id, _ in found}
            # Published again: the ids may predate an unpublish whose invalidation the cache never received.
            courses = Course.objects.published_or_retired().summaries().in_bulk(wanted)
            chosen = {
                section: [_recommended(courses[pk], reason) for pk, reason in found if pk in courses]
                for section, found in chosen_ids.items()
            }
        for section in sections:
            section.recommendations = chosen.get(section.pk, [])
            section.totals = summarize([course for course in section.recommendations if course.published])

    def _choose_recommendations(self, per_section: int) -> dict[int, list[Course]]:
        """{section id: its recommended courses} for the visible sections, in one query for all sections
        (whose answer is itself cached until the catalog changes).

        Sections are filled in guide order, and an item already shown in SECTIONS_PER_ITEM sections (editor's
        picks count) gives way to the next best match: one strong book must not fill a whole guide.
        """
        sections = self.visible_sections
        # Through the pick rows, so the editor's order holds (position, then the order they were added).
        # A retired pick stays listed, last, marked "no longer offered" with a link to its alternatives (the
        # editor's choice kept for its return, the reader told why it is missing); the section is filled as if it
        # were not there: by the other picks, or by the best matches when none is left.
        pick_links = GuideSectionPick.objects.filter(course__in=Course.objects.published_or_retired()).select_related(
            "course__provider"
        )
        prefetch_related_objects(sections, "topics", Prefetch("pick_links", pick_links, to_attr="published_links"))
        for section in sections:
            picked = [link.course for link in section.published_links]
            section.published_picks = [course for course in picked if course.published]
            section.retired_picks = [course for course in picked if not course.published]
        topic_sets = {
            section.pk: tuple(sorted(topic.pk for topic in section.topics.all()))
            for section in sections
            if not section.published_picks
        }
        shown = Counter(course.pk for section in sections for course in section.published_picks)
        # Each item shown fills one of SECTIONS_PER_ITEM places, so this many candidates fill every section
        # whenever its topics have enough distinct items, however many sections the duplicate limit passed over.
        candidates = per_section + (per_section * len(topic_sets) + shown.total()) // SECTIONS_PER_ITEM
        best = best_in_topics(topic_sets.values(), per_set=candidates)
        chosen = {}
        for section in sections:
            retired = [_recommended(course, "No longer offered") for course in section.retired_picks]
            if section.published_picks:
                chosen[section.pk] = [_recommended(c, "Editor's pick") for c in section.published_picks] + retired
                continue
            topic_names = {topic.pk: topic.name for topic in section.topics.all()}
            covered, courses = set(), []
            for course, matched in best.get(topic_sets[section.pk], []):
                if len(courses) == per_section:
                    break
                if shown[course.pk] >= SECTIONS_PER_ITEM:
                    continue
                shown[course.pk] += 1
                names = [name for pk, name in topic_names.items() if pk in matched]
                courses.append(_recommended(course, _match_reason(course, names, covered)))
                covered.update(names)
            chosen[section.pk] = courses + retired  # a retired pick stays listed, last, until the editor acts
        return chosen

    @cached_property
    def last_updated(self):
        """When the guide as shown last changed: its own fields or any visible section; needs `with_sections()`."""
        return max([self.updated_at, *(section.updated_at for section in self.visible_sections)])

    def reading_minutes(self) -> int:
        """Minutes to read the intro and the visible sections at READING_WORDS_PER_MINUTE, rounded up."""
        words = len(self.intro.split()) + sum(len(section.body.split()) for section in self.visible_sections)
        return max(1, math.ceil(words / READING_WORDS_PER_MINUTE))

    def table_of_contents(self) -> list[tuple[str, str]]:
        """(anchor, heading) for each visible section; needs `with_sections()`."""
        return [(section.anchor, section.heading) for section in self.visible_sections]


class GuideSectionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class GuideSection(VisibleNames, models.Model):
    visible_name_fields = ("heading",)

    class Kind(models.TextChoices):
        EDUCATION = "education", "Education and learning paths"
        RESPONSIBILITIES = "responsibilities", "Responsibilities"
        SKILLS = "skills", "Skills"
        TOOLS = "tools", "Tools"
        GROWTH = "growth", "Career growth"
        CHALLENGES = "challenges", "Challenges"
        PROJECTS = "projects", "Personal projects"
        ONLINE_LEARNING = "online_learning", "Online learning"
        OTHER = "other", "Other"

    career = models.ForeignKey(Career, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    heading = models.CharField(max_length=200)
    anchor = models.SlugField(
        max_length=80,
        blank=True,
        help_text="The section's link target (#anchor). Left blank, it is made from the kind or heading, "
        "then kept stable so links keep working.",
    )
    body = models.TextField(help_text="Markdown: headings, lists, links, emphasis, code and tables.")
    position = models.PositiveIntegerField(
        default=0, help_text="Sections are shown in ascending order. Leave gaps (10, 20, 30) to insert later."
    )
    topics = models.ManyToManyField(
        "courses.Topic",
        related_name="guide_sections",
        blank=True,
        help_text="Without picks, the section recommends the best-rated items in these topics.",
    )
    picks = models.ManyToManyField(
        "courses.Course",
        through="GuideSectionPick",
        related_name="guide_sections",
        blank=True,
        help_text="Courses and books chosen by an editor for this section, in the editor's order.",
    )
    published = models.BooleanField(default=False, help_text="Drafts are visible only in the staff preview.")
    # A waiting revision of a published section: learners keep the heading and body above until it is published.
    draft_heading = models.CharField(max_length=200, blank=True, editable=False)
    draft_body = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = GuideSectionQuerySet.as_manager()

    class Meta:
        ordering = ["career", "position", "pk"]
        indexes = [models.Index(fields=["career", "position"], name="section_career_position")]
        constraints = [
            # Blank means "not chosen yet" (save() fills it in), so several new sections can be added in one go.
            models.UniqueConstraint(
                fields=["career", "anchor"], condition=~Q(anchor=""), name="section_anchor_unique_per_career"
            ),
        ]

    def __str__(self):
        return self.heading

    def save(self, *args, **kwargs):
        # The anchor is part of public URLs, so it is set once and never derived again.
        if not self.anchor:
            self.anchor = self.default_anchor()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.career.get_absolute_url()}#{self.anchor}"

    def default_anchor(self) -> str:
        """The kind's name (#skills), or the heading for free-form sections; unique within the career."""
        base = slugify(self.heading) if self.kind == self.Kind.OTHER else self.kind.replace("_", "-")
        base = (base or "section")[:70]
        taken = set(
            GuideSection.objects.filter(career_id=self.career_id, anchor__startswith=base)
            .exclude(pk=self.pk)
            .values_list("anchor", flat=True)
        )
        anchor, suffix = base, 2
        while anchor in taken:
            anchor, suffix = f"{base}-{suffix}", suffix + 1
        return anchor

    def updated_apart(self) -> bool:
        """Whether this section changed on another day than the guide's "Updated" line says, so it needs its own."""
        return timezone.localdate(self.updated_at) != timezone.localdate(self.career.last_updated)

    def body_html(self) -> str:
        return render_markdown(self.body)

    @property
    def has_draft(self) -> bool:
        return bool(self.draft_body)

    def save_draft(self, *, heading: str, body: str, live_heading: str, live_body: str) -> None:
        """Keep `heading` and `body` as the waiting revision and the live ones as they were (not saved yet)."""
        self.draft_heading, self.draft_body = heading, body
        self.heading, self.body = live_heading, live_body
        self._change_reason = "Saved a draft"

    def discard_draft(self, *, live_heading: str, live_body: str) -> None:
        self.draft_heading, self.draft_body = "", ""
        self.heading, self.body = live_heading, live_body
        self._change_reason = "Discarded the draft"

    def publish_draft(self) -> None:
        """The heading and body as they are now go live (the form holds the draft), and the draft is done."""
        self.draft_heading, self.draft_body = "", ""
        self._change_reason = "Published the draft"

    def show_draft(self) -> None:
        """For the staff preview only: the page as learners will see it once the draft is published."""
        if self.has_draft:
            self.heading, self.body = self.draft_heading or self.heading, self.draft_body
            self.showing_draft = True


class GuideSectionPick(models.Model):
    """One of a section's picks, at the place the editor gave it (the picks' table, given a position)."""

    id = models.AutoField(primary_key=True)  # the table Django made for the plain many-to-many had these ids
    guidesection = models.ForeignKey(GuideSection, on_delete=models.CASCADE, related_name="pick_links")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="guide_section_picks")
    position = models.PositiveIntegerField(
        default=0, help_text="Shown in ascending order; picks with the same number keep the order they were added."
    )

    class Meta:
        db_table = "guides_guidesection_picks"
        ordering = ["position", "pk"]
        unique_together = [("guidesection", "course")]
        verbose_name = "pick"

    def __str__(self):
        return str(self.course)


class OneTimePasswordQuerySet(models.QuerySet):
    def still_in_use(self, user):
        """The user's one-time password while they still sign in with it (a changed password no longer matches)."""
        return self.filter(user=user, password=user.password)


class OneTimePassword(models.Model):
    """A password handed over by create_editor or create_partner_manager, to be replaced at first sign-in.

    It keeps the password's hash as issued: once the user chooses a password of their own (or an administrator
    sets one) the hashes differ, so no code has to remember to clear the flag.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_time_password")
    password = models.CharField(max_length=128, help_text="The hash of the password as issued.")
    issued_at = models.DateTimeField(auto_now=True)

    objects = OneTimePasswordQuerySet.as_manager()

    def __str__(self):
        return f"one-time password of {self.user}"


def _recommended(course: Course, reason: str) -> Course:
    """`course` with why a section recommends it: a copy, as two sections may give the same item different reasons."""
    course = copy.copy(course)
    course.recommendation_reason = reason
    return course


def _match_reason(course: Course, topic_names: list[str], covered: set[str]) -> str:
    """ "Top match for PostgreSQL and SQL" for the section's topics it is the first shown item to cover, else
    "Also covers SQL"; its rating when known.
    """
    new = [name for name in topic_names if name not in covered]
    reason = f"Top match for {and_list(new)}" if new else f"Also covers {and_list(topic_names)}"
    if course.rating is not None:
        reason += f" · rated {course.rating:.1f} of 5"
    return reason


# -- Learning plans (#17): a learner's own copy of a guide's recommendations, with a pace and progress. --------

PLAN_MAX_ITEMS = 300  # bounded work for every plan page, CSV and calendar, whoever holds the link
PLAN_ADDED_ANCHOR = "added"  # the section that holds what a learner adds from the catalog


def new_plan_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits: the link is the only key to a plan


class LearningPlanQuerySet(models.QuerySet):
    def untouched_since(self, moment):
        """Plans nobody has changed since `moment` (ticks, edits and additions count; reading does not). A tick
        writes only its item's updated_at, not touched_at (guides.plans.set_status), so items count too.
        """
        return self.filter(touched_at__lt=moment).exclude(items__updated_at__gte=moment)


class LearningPlan(models.Model):
    """A plan made from a guide: its sections and items are the learner's own copies, so editing the guide
    afterwards never changes or loses them. No account: whoever holds `token` may change it; `share_token`
    opens a read-only view.
    """

    token = models.CharField(max_length=64, unique=True, default=new_plan_token, editable=False)
    share_token = models.CharField(max_length=64, unique=True, default=new_plan_token, editable=False)
    career = models.ForeignKey(Career, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans")
    title = models.CharField(max_length=120)
    hours_per_week = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal(5))
    created_at = models.DateTimeField(auto_now_add=True)
    touched_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = LearningPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("guides:plan_detail", kwargs={"token": self.token})

    def get_shared_url(self):
        return reverse("guides:plan_shared", kwargs={"token": self.share_token})


class PlanSection(models.Model):
    """One of a plan's sections, known by the guide section's kind and anchor (which never change once set),
    never by its id or position: a reordered, renamed or new guide section leaves the plan as it was.
    """

    plan = models.ForeignKey(LearningPlan, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(max_length=20, choices=GuideSection.Kind.choices)
    anchor = models.SlugField(max_length=80)
    heading = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "anchor"], name="plan_section_anchor_unique")]

    def __str__(self):
        return self.heading


class PlanItemQuerySet(models.QuerySet):
    def for_page(self):
        """The items with what their lines, totals and partner links show, in two queries; only those columns
        of the courses (whose descriptions and search documents are most of a row).
        """
        offers = Offer.objects.live().best_first().select_related("partner").only("token", "course_id", "partner__name")
        item_fields = ["section_id", "course_id", "title", "status", "position", "updated_at"]
        course_fields = [f"course__{name}" for name in ("kind", "title", "slug", "url", "price", "currency")]
        course_fields += ["course__duration_hours", "course__published", "course__provider__name"]
        return (
            self.select_related("course__provider")
            .only(*item_fields, *course_fields)
            .prefetch_related(Prefetch("course__offers", queryset=offers, to_attr="live_offers"))
        )


class PlanItem(models.Model):
    """A course or book in a plan, with the learner's progress. Progress belongs to the (plan, course) pair,
    so moving the item or editing the guide never loses it. An item whose course left the catalog stays,
    with its title as it was, marked "no longer offered".
    """

    class Status(models.TextChoices):
        TODO = "todo", "To do"
        DOING = "doing", "In progress"
        DONE = "done", "Done"

    plan = models.ForeignKey(LearningPlan, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(PlanSection, on_delete=models.CASCADE, related_name="items")
    course = models.ForeignKey(
        "courses.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_items"
    )
    title = models.CharField(max_length=300, help_text="As it was when added: shown if the course is deleted.")
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.TODO)
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            # One line per course: a double submit of "Add" finds the line it made the first time.
            models.UniqueConstraint(fields=["plan", "course"], name="plan_item_course_unique"),
        ]
        indexes = [models.Index(fields=["plan", "section", "position"], name="plan_item_order")]

    def __str__(self):
        return self.title

    @property
    def offered(self) -> bool:
        return self.course is not None and self.course.published


# --- Occupations (issue #16): O*NET and BLS facts, imported by `manage.py import_occupations` -----------------
# Facts and figures only: O*NET's own sentences (descriptions, tasks) are never stored, shown or committed.


class Interest(models.TextChoices):
    """The six RIASEC interests, in O*NET's order (its element ids 1.B.1.a to 1.B.1.f)."""

    REALISTIC = "R", "Realistic"
    INVESTIGATIVE = "I", "Investigative"
    ARTISTIC = "A", "Artistic"
    SOCIAL = "S", "Social"
    ENTERPRISING = "E", "Enterprising"
    CONVENTIONAL = "C", "Conventional"


INTEREST_FIELDS = {
    "R": "realistic",
    "I": "investigative",
    "A": "artistic",
    "S": "social",
    "E": "enterprising",
    "C": "conventional",
}


# What each interest means, in our words (O*NET's own descriptions are not ours to show).
INTEREST_TEXT = {
    "R": "Working with your hands, tools, machines, plants or animals: building, fixing, operating, growing.",
    "I": "Working with ideas: researching, analysing, solving problems that take careful thought.",
    "A": "Working with forms, designs and patterns: creating, writing, performing, expressing yourself.",
    "S": "Working with people: helping, teaching, caring for them, serving them.",
    "E": "Starting things and leading people: persuading, selling, deciding, taking risks for results.",
    "C": "Working with data and procedures: organising, keeping records, following set ways of doing things.",
}


class Education(models.TextChoices):
    """BLS "typical education needed for entry", lowest first; the labels are the table's own."""

    NONE = "none", "No formal educational credential"
    HIGH_SCHOOL = "high-school", "High school diploma or equivalent"
    SOME_COLLEGE = "some-college", "Some college, no degree"
    POSTSECONDARY = "postsecondary", "Postsecondary nondegree award"
    ASSOCIATE = "associate", "Associate's degree"
    BACHELOR = "bachelor", "Bachelor's degree"
    MASTER = "master", "Master's degree"
    DOCTORAL = "doctoral", "Doctoral or professional degree"


class PayBand(models.TextChoices):
    UNDER_40K = "under-40k", "Under $40,000"
    FROM_40K = "40k-60k", "$40,000 to $59,999"
    FROM_60K = "60k-80k", "$60,000 to $79,999"
    FROM_80K = "80k-100k", "$80,000 to $99,999"
    FROM_100K = "100k-plus", "$100,000 or more"


class Growth(models.TextChoices):
    """Projected change 2024-34, in the bands BLS's Occupational Outlook Handbook words it (all jobs: 3.1 %)."""

    DECLINING = "declining", "Declining"
    LITTLE = "little", "Little or no change"
    SLOWER = "slower", "Slower than average"
    AVERAGE = "average", "About as fast as average"
    FASTER = "faster", "Faster than average"
    MUCH_FASTER = "much-faster", "Much faster than average"


JOB_ZONES = {
    1: "Little or no preparation",
    2: "Some preparation",
    3: "Medium preparation",
    4: "Considerable preparation",
    5: "Extensive preparation",
}


def pay_band(wage: int | None) -> str:
    if wage is None:
        return ""
    for band, upper in zip(PayBand.values, (40_000, 60_000, 80_000, 100_000, None), strict=True):
        if upper is None or wage < upper:
            return band
    return ""


def growth_band(percent) -> str:
    if percent is None:
        return ""
    for band, upper in zip(Growth.values, (-1, 1, 3, 5, 8, None), strict=True):
        if upper is None or percent < upper:
            return band
    return ""


def search_words(text: str) -> list[str]:
    """The squashed words of a search, at most eight."""
    return [word for word in (squash(word) for word in text.split()[:8]) if word]


def squash(text: str) -> str:
    """Lower-case letters, digits, # and + only: "Back-End Engineer" and "backend engineer" look alike."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9#+]", "", text)


EXPLORER_FACETS = ["interest", "zone", "education", "pay", "growth", "guide"]


class OccupationQuerySet(models.QuerySet):
    def search(self, text: str):
        """Occupations with one title or alternate title holding every word of `text` (spaces and hyphens
        ignored, so "backend" finds "Back End"), best first: its own title exactly, then an alternate title
        exactly, then a title that starts with the text, then any; `search_rank` says which.

        It reads one column per occupation, all its titles squashed and joined ("|web developers|back end
        engineer|…"): 1,016 short documents are scanned far faster than 57,518 title rows (bench/careers.py).
        Not the catalog's tantivy index: there "any part of a title" is a regular expression over its whole term
        dictionary, about 17 ms a word.
        """
        words = search_words(text)
        if not words:
            return self
        whole = "".join(words)
        # Every word inside one title: a lookahead per word between two separators (PostgreSQL and Python re).
        same_title = r"\|" + "".join(f"(?=[^|]*{re.escape(word)})" for word in words) + r"[^|]*\|"
        matches = self
        for word in words:  # a cheap substring test first; the pattern then checks they share a title
            matches = matches.filter(search_document__contains=word)
        return (
            matches.filter(search_document__regex=same_title)
            .annotate(
                search_rank=Case(
                    When(search_document__startswith=f"|{whole}|", then=Value(0)),
                    When(search_document__contains=f"|{whole}|", then=Value(1)),
                    When(search_document__contains=f"|{whole}", then=Value(2)),
                    default=Value(3),
                )
            )
            .order_by("search_rank", "title")
        )

    def matched_titles(self, text: str) -> dict[int, str]:
        """{occupation id: the title `text` matched best} for these occupations (a page of search results)."""
        words = search_words(text)
        if not words:
            return {}
        whole = "".join(words)
        best = {}
        for occupation_id, title, squashed, primary in (
            OccupationTitle.objects.filter(occupation__in=self.order_by().values("pk"))
            .order_by()
            .values_list("occupation_id", "title", "squashed", "is_primary")
        ):
            if all(word in squashed for word in words):
                rank = (squashed != whole, not squashed.startswith(whole), not primary, title)
                if occupation_id not in best or rank < best[occupation_id][0]:
                    best[occupation_id] = (rank, title)
        return {occupation_id: title for occupation_id, (_, title) in best.items()}

    def with_guides(self):
        """`guide_slug` and `guide_name`: the published guide written about each occupation, if any (its address
        is the guide's, and a learner who chose "Back End Engineer" reads that name, not O*NET's title)."""
        guides = Career.objects.published().filter(occupation=OuterRef("pk"))
        return self.annotate(
            guide_slug=Subquery(guides.values("slug")[:1]), guide_name=Subquery(guides.values("name")[:1])
        )

    def filtered(self, filters: dict, *, skip: str = ""):
        """The explorer's filters (AND across facets, OR within one), except the one named `skip`."""
        queryset = self
        for name in EXPLORER_FACETS:
            if name != skip and filters.get(name):
                queryset = queryset.filter(_facet_condition(name, filters[name]))
        return queryset

    def facet_counts(self, filters: dict) -> dict:
        """{facet: {value: count}} with every *other* chosen filter applied, and "total" with all of them.

        There are about a thousand occupations, so the facet columns of all matches are read in one query
        and counted here, rather than one grouped query per facet.
        """
        guides = Career.objects.published().filter(occupation=OuterRef("pk"))
        rows = self.order_by().annotate(has_guide=Exists(guides))
        rows = rows.values_list("interest_code", "job_zone", "entry_education", "pay_band", "growth_band", "has_guide")
        active = [name for name in EXPLORER_FACETS if filters.get(name)]
        chosen = {name: {str(value) for value in filters[name]} for name in active}
        counts = {name: Counter() for name in EXPLORER_FACETS}
        total = 0
        for interest_code, zone, education, pay, growth, has_guide in rows:
            values = {
                "interest": interest_code,  # a string of letters: each is a value
                "zone": (str(zone),) if zone else (),
                "education": (education,) if education else (),
                "pay": (pay,) if pay else (),
                "growth": (growth,) if growth else (),
                "guide": ("1",) if has_guide else (),
            }
            failed = [name for name in active if not any(value in chosen[name] for value in values[name])]
            if not failed:
                total += 1
                for name in EXPLORER_FACETS:
                    counts[name].update(values[name])
            elif len(failed) == 1:  # counted only in the facet it fails: ticking a value there would add it
                counts[failed[0]].update(values[failed[0]])
        return {**counts, "total": total}

    def sorted_by(self, sort: str):
        """`relevance` keeps search order (else name); `pay`, `growth` and `openings` put the highest first,
        unknown figures last."""
        if sort == "pay":
            return self.order_by(F("median_wage").desc(nulls_last=True), "title")
        if sort == "growth":
            return self.order_by(F("employment_change_percent").desc(nulls_last=True), "title")
        if sort == "openings":
            return self.order_by(F("annual_openings").desc(nulls_last=True), "title")
        if sort == "name" or not self.query.order_by:
            return self.order_by("title")
        return self

    def interest_counts(self) -> dict[str, int]:
        """{interest letter: how many occupations have it among their high-point codes}, in one query."""
        return self.aggregate(**{code: Count("pk", filter=Q(interest_code__contains=code)) for code in INTEREST_FIELDS})

    def best_for_interest(self, code: str):
        """Occupations whose high-point codes include `code`, highest score for it first."""
        field = INTEREST_FIELDS[code]
        return self.filter(interest_code__contains=code).order_by(F(field).desc(nulls_last=True), "title")


def _facet_condition(name: str, values) -> Q:
    if name == "interest":
        return reduce(operator.or_, [Q(interest_code__contains=value) for value in values])
    if name == "zone":
        return Q(job_zone__in=values)
    if name == "education":
        return Q(entry_education__in=values)
    if name == "pay":
        return Q(pay_band__in=values)
    if name == "growth":
        return Q(growth_band__in=values)
    guides = Career.objects.published().filter(occupation=OuterRef("pk"))
    return Q(Exists(guides))


class Occupation(models.Model):
    """One O*NET-SOC occupation with O*NET's facts and the BLS projections of its SOC code."""

    code = models.CharField("O*NET-SOC code", max_length=10, unique=True, help_text="e.g. 15-1254.00")
    title = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    job_zone = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Preparation needed, 1 to 5.")
    realistic = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    investigative = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    artistic = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    social = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    enterprising = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    conventional = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    search_document = models.TextField(
        blank=True, editable=False, help_text="Every title squashed, between bars: what search() reads."
    )
    interest_code = models.CharField(
        max_length=3, blank=True, help_text="O*NET's high-point codes, strongest first, e.g. CIR."
    )
    onet_release = models.CharField(max_length=20, blank=True, help_text="e.g. 30.1")
    # BLS Employment Projections, from the row of the occupation's 6-digit SOC code (shared by detailed O*NET codes).
    bls_code = models.CharField("BLS matrix code", max_length=7, blank=True)
    median_wage = models.PositiveIntegerField("median annual wage (USD)", null=True, blank=True)
    median_wage_top_coded = models.BooleanField(
        default=False, help_text="BLS publishes only a floor (e.g. ≥ $239,200): the wage is at least this."
    )
    wage_year = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The year of the median wage.")
    employment_start = models.DecimalField(
        "employment at the start (thousands)", max_digits=9, decimal_places=1, null=True, blank=True
    )
    employment_end = models.DecimalField(
        "projected employment (thousands)", max_digits=9, decimal_places=1, null=True, blank=True
    )
    employment_change_percent = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    annual_openings = models.DecimalField(
        "annual openings (thousands)", max_digits=8, decimal_places=1, null=True, blank=True
    )
    entry_education = models.CharField(max_length=20, choices=Education.choices, blank=True)
    bls_release = models.CharField(max_length=20, blank=True, help_text="The projection years, e.g. 2024-34.")
    # Derived from the figures at import, and indexed: the explorer filters and counts on them.
    pay_band = models.CharField(max_length=10, choices=PayBand.choices, blank=True, db_index=True)
    growth_band = models.CharField(max_length=12, choices=Growth.choices, blank=True, db_index=True)

    objects = OccupationQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["job_zone"], name="occupation_job_zone")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        """The guide's address when a published guide is written about it (needs `with_guides()`), else its own."""
        slug = getattr(self, "guide_slug", None) or self.slug
        return reverse("guides:career_detail", kwargs={"slug": slug})

    @property
    def display_title(self) -> str:
        """The written guide's name when there is one (needs `with_guides()`), else O*NET's title."""
        return getattr(self, "guide_name", None) or self.title

    @property
    def soc_code(self) -> str:
        return self.code.split(".")[0]

    @property
    def job_zone_label(self) -> str:
        return JOB_ZONES.get(self.job_zone, "")

    @property
    def bls_start_year(self) -> str:
        return self.bls_release[:4]

    def interest_scores(self) -> list[dict]:
        """The six interests with their score (1 to 7), as the chart and its table show them."""
        return [
            {"code": code, "name": label, "score": getattr(self, INTEREST_FIELDS[code])}
            for code, label in Interest.choices
        ]

    def interest_names(self) -> list[str]:
        return [Interest(code).label for code in self.interest_code]

    def derive_bands(self) -> None:
        self.pay_band = pay_band(self.median_wage)
        self.growth_band = growth_band(self.employment_change_percent)


class OccupationTitle(models.Model):
    """An occupation's title or one of O*NET's alternate titles, with the form searches compare."""

    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="titles")
    title = models.CharField(max_length=250)
    squashed = models.CharField(max_length=250, db_index=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["occupation", "-is_primary", "title"]
        constraints = [models.UniqueConstraint(fields=["occupation", "title"], name="occupation_title_unique")]

    def __str__(self):
        return self.title


class RelatedOccupation(models.Model):
    class Tier(models.TextChoices):
        PRIMARY_SHORT = "Primary-Short", "Most related"
        PRIMARY_LONG = "Primary-Long", "Closely related"
        SUPPLEMENTAL = "Supplemental", "Also related"

    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=20, choices=Tier.choices)
    position = models.PositiveSmallIntegerField(help_text="O*NET's index: 1 is the most related.")

    class Meta:
        ordering = ["occupation", "position"]
        constraints = [models.UniqueConstraint(fields=["occupation", "related"], name="related_occupation_unique")]

    def __str__(self):
        return f"{self.occupation} → {self.related}"


class TechnologyQuerySet(models.QuerySet):
    def map_to_topics(self) -> int:
        """Give every technology without a topic the catalog topic its name is (by topic name or synonym, less a
        vendor and a generic ending: "Oracle Java", "Microsoft Azure software", "Rust programming language");
        an editor's choice is never replaced. Returns how many were mapped.

        Whole names only: "Testing" inside "Avionics system testing software" is not a course on testing.
        """
        # Names and synonyms, not slugs: C#'s slug is "c", which is another language.
        terms = {}
        for topic in Topic.objects.all():
            for term in [topic.name, *topic.synonym_list()]:
                terms.setdefault(term.lower(), topic)
        mapped = []
        for technology in self.filter(topic__isnull=True, topic_by_editor=False):
            for candidate in _name_forms(technology.name):
                if candidate in terms:
                    technology.topic = terms[candidate]
                    mapped.append(technology)
                    break
        self.model.objects.bulk_update(mapped, ["topic"], batch_size=500)
        return len(mapped)


TECHNOLOGY_VENDORS = ("microsoft ", "oracle ", "sun microsystems ", "apache ", "google ", "ibm ", "the ")
TECHNOLOGY_ENDINGS = (" software", " programming language", " framework", " language")


def _name_forms(name: str) -> list[str]:
    """A technology's name as a topic might name it: as it is, without a generic ending, without a vendor."""
    name = " ".join(name.lower().split())
    forms = [name]
    for ending in TECHNOLOGY_ENDINGS:
        if name.endswith(ending):
            forms.append(name.removesuffix(ending))
    for form in list(forms):
        for vendor in TECHNOLOGY_VENDORS:
            if form.startswith(vendor):
                forms.append(form.removeprefix(vendor))
    return [form for form in forms if form]


class Technology(models.Model):
    """A technology named in O*NET's Technology Skills (software examples), mapped to a catalog topic."""

    name = models.CharField(max_length=200, unique=True)
    commodity = models.CharField(max_length=200, blank=True, help_text="O*NET's commodity title, its kind.")
    topic = models.ForeignKey(
        "courses.Topic",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="technologies",
        help_text="The catalog topic that teaches it: profiles link it to the topic page and its courses. "
        "Filled in from topic names and synonyms; once an editor sets it (or clears it), imports leave it alone.",
    )
    topic_by_editor = models.BooleanField(default=False, editable=False)

    objects = TechnologyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "technologies"

    def __str__(self):
        return self.name


class OccupationTechnology(models.Model):
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, related_name="technology_links")
    technology = models.ForeignKey(Technology, on_delete=models.CASCADE, related_name="occupation_links")
    hot = models.BooleanField("Hot Technology", default=False)
    in_demand = models.BooleanField(default=False)

    class Meta:
        ordering = ["-in_demand", "-hot", "technology__name"]
        constraints = [
            models.UniqueConstraint(fields=["occupation", "technology"], name="occupation_technology_unique")
        ]
        verbose_name_plural = "occupation technologies"

    def __str__(self):
        return f"{self.occupation}: {self.technology}"
