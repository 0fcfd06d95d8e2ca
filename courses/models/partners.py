"""Partners, their offers on our courses, the clicks we send them and the conversions they report back.

Only stored destinations are ever redirected to: an offer's URL is checked against its partner's allowed
hosts when it is saved or imported, and again when a learner follows it.
"""

import secrets
import uuid
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from courses.models.catalog import Course
from courses.text import VisibleNames

BROKEN_AFTER_FAILURES = 3


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_offer_token() -> str:
    return secrets.token_urlsafe(12)


def destination_problem(url: str) -> str | None:
    """Why `url` cannot be a partner destination, or None. Strict on purpose: browsers and Python disagree
    about backslashes, whitespace and user-info, and every disagreement is a way off the intended host.
    """
    if any(char in url for char in "\\ \t\r\n\x00") or not url.isprintable():
        return "must not contain spaces, backslashes or control characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname or "@" in parts.netloc:
        return "must name a host, without a user name or password"
    if not parts.hostname.isascii():
        return "host must be ASCII (write an internationalized name in its xn-- form)"
    return None


class Partner(VisibleNames, models.Model):
    visible_name_fields = ("name",)

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    allowed_hosts = models.TextField(
        help_text="Hosts offers may send learners to, one a line: www.udemy.com, or *.coursera.org for any subdomain."
    )
    commission_description = models.CharField(max_length=300, blank=True)
    commission_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent of the sale, if a flat rate."
    )
    tag_parameters = models.CharField(
        max_length=500,
        blank=True,
        help_text="Query parameters added to every destination, e.g. utm_source=careerguide&aff={tag}. "
        "{tag} is the offer's commission tag, {click_id} the click's id.",
    )
    link_template = models.CharField(
        max_length=500,
        blank=True,
        help_text="Instead of parameters: a deep-link URL, e.g. "
        "https://partner.example/track?url={url}&sub={click_id}. Its host must be one of the allowed hosts.",
    )
    active = models.BooleanField(default=True)
    postback_secret = models.CharField(max_length=100, default=new_secret, help_text="Shared with the partner.")
    report_token = models.CharField(max_length=100, default=new_secret, unique=True, editable=False)

    class Meta:
        ordering = ["name"]
        permissions = [("view_partner_report", "Can see partner reports")]

    def __str__(self):
        return self.name

    def get_report_url(self):
        return reverse("courses:partner_report", args=[self.report_token])

    def rotate_report_token(self) -> None:
        self.report_token = new_secret()
        self.save(update_fields=["report_token"])

    def host_list(self) -> list[str]:
        return [host.strip().lower() for host in self.allowed_hosts.split() if host.strip()]

    def allows(self, url: str) -> bool:
        """Whether `url` is a safe destination on one of this partner's hosts."""
        if destination_problem(url):
            return False
        host = urlsplit(url).hostname
        for allowed in self.host_list():
            if allowed.startswith("*.") and host.endswith(allowed[1:]):
                return True
            if host == allowed:
                return True
        return False

    def tagged_url(self, url: str, *, tag: str, click_id: str) -> str:
        """The destination with our commission tag: the link template filled in, or the tag parameters
        merged into the URL's query (its own parameters kept, ours winning a clash; fragment kept).
        """
        values = {"tag": tag, "click_id": click_id}
        if self.link_template:
            return self.link_template.format(
                url=quote(url, safe=""), **{name: quote(value, safe="") for name, value in values.items()}
            )
        ours = [(name, value.format(**values)) for name, value in parse_qsl(self.tag_parameters)]
        parts = urlsplit(url)
        names = {name for name, _ in ours}
        theirs = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name not in names]
        return urlunsplit(parts._replace(query=urlencode(theirs + ours)))

    def clean(self):
        errors = {}
        try:
            super().clean()  # the name (VisibleNames), reported together with the rest
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for host in self.host_list():
            if not host.removeprefix("*.").replace("-", "").replace(".", "").isalnum() or not host.isascii():
                errors["allowed_hosts"] = f"“{host}” is not a host name."
        if self.link_template:
            try:
                sample = self.link_template.format(url="u", tag="t", click_id="c")
            except (KeyError, IndexError, ValueError):
                errors["link_template"] = "Use only {url}, {tag} and {click_id} as placeholders."
            else:
                if not self.allows(sample):
                    errors["link_template"] = "The template's host must be one of the allowed hosts."
        try:
            [value.format(tag="t", click_id="c") for _, value in parse_qsl(self.tag_parameters)]
        except (KeyError, IndexError, ValueError):
            errors["tag_parameters"] = "Use only {tag} and {click_id} as placeholders."
        if errors:
            raise ValidationError(errors)


class OfferQuerySet(models.QuerySet):
    def live(self):
        """Offers a learner may be sent to: the offer and its partner both active."""
        return self.filter(active=True, partner__active=True)

    def best_first(self):
        """Healthy links first, then the partner's commission rate. Offers order the links for one course
        only; which courses a learner sees never depends on them.
        """
        return self.order_by("consecutive_failures", F("partner__commission_rate").desc(nulls_last=True), "pk")

    def broken(self):
        return self.filter(consecutive_failures__gte=BROKEN_AFTER_FAILURES)


class Offer(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="offers")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="offers")
    url = models.URLField("destination URL", max_length=1000)
    commission_tag = models.CharField(max_length=100, blank=True)
    token = models.CharField(max_length=40, unique=True, default=new_offer_token, editable=False)
    active = models.BooleanField(default=True)
    # Switched off because its course was retired (a full feed dropped it), and switched on again if the course
    # returns; an offer a partner manager or the link checker switched off stays off.
    paused_by_retirement = models.BooleanField(default=False, editable=False)
    # Link health, written by `manage.py check_links`.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)

    objects = OfferQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "partner"], name="one_offer_per_partner_and_course")]

    def __str__(self):
        return f"{self.course} via {self.partner}"

    def get_absolute_url(self):
        return reverse("courses:go", args=[self.token])

    def clean(self):
        problem = destination_problem(self.url)
        if problem:
            raise ValidationError({"url": f"The destination {problem}."})
        if self.partner_id and not self.partner.allows(self.url):
            raise ValidationError({"url": f"The destination must be on one of {self.partner}'s allowed hosts."})


class ClickQuerySet(models.QuerySet):
    def counted(self):
        """Clicks a partner pays for: people's, not repeats, not over a client's limit (courses/counting.py)."""
        return self.filter(is_bot=False, excluded_reason="")


class Click(models.Model):
    """One request for one partner link, whoever sent it. No raw IP address is ever stored: `visitor_hash` is an
    HMAC of the client's address under a key that changes daily, enough to count unique visitors per day.

    Every click is kept; which ones count is decided when it is recorded (courses/counting.py): none by a bot,
    and of people's, none that is a repeat or over its client's limit. Raw = counted + bots + repeats + over limit.
    """

    class Excluded(models.TextChoices):
        COUNTED = "", "counted"
        REPEAT = "repeat", "repeat within 30 minutes"
        OVER_LIMIT = "over_limit", "client over its limit"

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="clicks")
    click_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(db_index=True)
    referrer_path = models.CharField("came from", max_length=300, blank=True)
    visitor_hash = models.CharField(max_length=64)
    is_bot = models.BooleanField(default=False)
    excluded_reason = models.CharField(
        "not counted because",
        max_length=10,
        choices=Excluded.choices,
        blank=True,
        default="",
        help_text="For people's clicks only: a bot's click is never counted, whatever this says.",
    )

    objects = ClickQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["offer", "created_at"])]

    def __str__(self):
        return str(self.click_id)


class Conversion(models.Model):
    """A sale the partner reports back for one of our clicks (`POST /partners/<slug>/postback/`)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="conversions")
    click = models.ForeignKey(Click, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversions")
    click_uuid = models.UUIDField("click id", help_text="As the partner sent it; kept if the click is deleted.")
    order_id = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    commission = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "order_id"], name="one_conversion_per_partner_order"),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(commission__gte=0), name="conversion_amounts_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.partner} order {self.order_id}"
