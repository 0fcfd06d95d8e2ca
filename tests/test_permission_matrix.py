"""Who may open what: every admin view of every registered model and every private page, for each kind of visitor.

The visitors are an anonymous learner, an editor, a partner manager, a partner holding only its report link (no
login) and a superuser. Rights come from the groups' data migrations (guides 0002, courses 0003 and 0005); a new
admin model or group permission fails here until this table says who may use it.
"""

import uuid

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule, Success, Task
from django_q.tasks import async_task
from simple_history.admin import SimpleHistoryAdmin

from courses.models import Feed, FeedPull
from guides.models import Occupation, Technology
from tests.factories import (
    CareerFactory,
    ClickFactory,
    ConversionFactory,
    CourseFactory,
    EditorFactory,
    GuideSectionFactory,
    OfferFactory,
    PartnerFactory,
    PartnerManagerFactory,
    ProviderFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "editor", "partner manager", "partner token", "superuser"]
STAFF = ["editor", "partner manager", "superuser"]

# What each staff member may do with each admin model: v(iew) a(dd) c(hange) d(elete).
# Clicks and conversions are records of what happened: their admins refuse add and change even to a superuser.
#                           editor  partner manager  superuser
RIGHTS = {
    "auth.group":           ("",    "",              "vacd"),
    "auth.user":            ("",    "",              "vacd"),
    "guides.career":        ("vac", "",              "vacd"),
    "guides.guidesection":  ("vac", "",              "vacd"),
    "guides.occupation":    ("v",   "",              "v"),
    "guides.technology":    ("vc",  "",              "vc"),
    "courses.provider":     ("vac", "v",             "vacd"),
    "courses.topic":        ("vac", "v",             "vacd"),
    "courses.course":       ("vac", "v",             "vacd"),
    "courses.partner":      ("",    "vac",           "vacd"),
    "courses.offer":        ("",    "vacd",          "vacd"),
    "courses.click":        ("",    "v",             "vd"),
    "courses.conversion":   ("",    "v",             "vd"),
    # Partner managers look after the feeds; a pull is a record (confirming a held one is an action, tested in
    # tests/courses/test_feed_pulls.py); deleting a feed, and its pulls' records, is a superuser's.
    "courses.feed":         ("",    "vac",           "vacd"),
    "courses.feedpull":     ("",    "v",             "vd"),
    # Background jobs: their history and schedules are read by partner managers (link checks, click replay);
    # re-running a job or changing a schedule (a function's dotted path: code) is a superuser's, as is the queue.
    "django_q.success":     ("",    "v",             "vd"),
    "django_q.failure":     ("",    "v",             "vd"),
    "django_q.schedule":    ("",    "v",             "vacd"),
    "django_q.ormq":        ("",    "",              "vd"),
}  # fmt: skip

# The private pages and who gets them: allowed, refused (403/404) or sent to the admin login.
#                                          anonymous  editor     partner manager partner token superuser
PAGES = {
    "admin index":                         ("login",  "allowed", "allowed",  "login",   "allowed"),
    "admin guides app":                    ("login",  "allowed", "refused",  "login",   "allowed"),
    "admin courses app":                   ("login",  "allowed", "allowed",  "login",   "allowed"),
    "admin partner report":                ("login",  "refused", "allowed",  "login",   "allowed"),
    "admin partner report csv":            ("login",  "refused", "allowed",  "login",   "allowed"),
    "admin autocomplete of courses":       ("login",  "allowed", "allowed",  "login",   "allowed"),
    "admin password change of a user":     ("login",  "refused", "refused",  "login",   "allowed"),
    "career preview of a draft":           ("login",  "allowed", "refused",  "login",   "allowed"),
    "partner report, the link held":       ("refused", "refused", "refused", "allowed", "refused"),
    "partner report csv, the link held":   ("refused", "refused", "refused", "allowed", "refused"),
    "partner report, a rotated-out link":  ("refused", "refused", "refused", "refused", "refused"),
}  # fmt: skip

# One field per model with history: the revert tests change it, then revert to the version before.
HISTORY_FIELD = {
    "guides.career": "name",
    "guides.guidesection": "heading",
    "courses.topic": "name",
    "courses.course": "title",
}

MAKE = {
    "auth.group": lambda: Group.objects.create(name="Reviewers"),
    "auth.user": UserFactory,
    "guides.career": CareerFactory,
    "guides.guidesection": GuideSectionFactory,
    "guides.occupation": lambda: Occupation.objects.create(code="15-1254.00", title="Web Developers", slug="web-dev"),
    "guides.technology": lambda: Technology.objects.create(name="PostgreSQL"),
    "courses.provider": ProviderFactory,
    "courses.topic": TopicFactory,
    "courses.course": CourseFactory,
    "courses.partner": PartnerFactory,
    "courses.offer": OfferFactory,
    "courses.click": ClickFactory,
    "courses.conversion": ConversionFactory,
    "courses.feed": lambda: Feed.objects.create(name="Learn", source="learn", url="https://feeds.example.com/a.jsonl"),
    "courses.feedpull": lambda: FeedPull.objects.create(
        feed=Feed.objects.create(name="Learn", source="learn", url="https://feeds.example.com/a.jsonl"),
        started_at=timezone.now(),
    ),
    "django_q.success": lambda: job_run(success=True),
    "django_q.failure": lambda: job_run(success=False),
    "django_q.schedule": lambda: Schedule.objects.create(name="Nightly", func="courses.jobs.check_links"),
    "django_q.ormq": lambda: queued_job(),
}


def queued_job():
    """A job waiting for a worker, as the queue holds it."""
    task_id = async_task("courses.jobs.replay_clicks")
    return next(job for job in OrmQ.objects.all() if job.task_id() == task_id)


def job_run(*, success: bool):
    """One finished run of a job, as a worker records it."""
    now = timezone.now()
    run = Task.objects.create(
        id=uuid.uuid4().hex, name="one-run", func="courses.jobs.replay_clicks", started=now, stopped=now,
        success=success, result="Recorded 0 spooled click(s)." if success else "Traceback …",
    )  # fmt: skip
    return (Success if success else Failure).objects.get(pk=run.pk)


ADMIN_MODELS = sorted(model._meta.label_lower for model in admin.site._registry)
HISTORY_MODELS = sorted(
    model._meta.label_lower
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, SimpleHistoryAdmin)
)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Five visitors a test: the production hasher would spend most of the run hashing their passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client, actor):
    """The client as the actor: logged in for staff, no session for the anonymous learner and the partner."""
    make = {"editor": EditorFactory, "partner manager": PartnerManagerFactory}
    if actor == "superuser":
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    elif actor in make:
        client.force_login(make[actor]())
    return client


def outcome(response) -> str:
    if response.status_code in (403, 404):
        return "refused"
    if response.status_code == 302 and response["Location"].startswith(reverse("admin:login")):
        return "login"
    return "allowed" if response.status_code == 200 else f"status {response.status_code}"


def admin_url(obj, view, *args):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=args)


def expected_row(actor, label):
    views = ["changelist", "add", "change", "delete", "history"]
    if label in HISTORY_MODELS:
        views += ["history form", "revert"]
    if actor not in STAFF:
        return dict.fromkeys(views, "login")
    rights = RIGHTS[label][STAFF.index(actor)]
    sees = "v" in rights or "c" in rights  # Django's change permission includes viewing
    allowed = {
        "changelist": sees,
        "add": "a" in rights,
        "change": sees,
        "delete": "d" in rights,
        "history": sees,
        "history form": sees,
        "revert": "c" in rights,
    }
    return {view: "allowed" if allowed[view] else "refused" for view in views}


def revert_form_data(obj, version):
    """The history form of `version` as the page shows it, read by a superuser: what pressing Revert sends."""
    reader = log_in(Client(), "superuser")
    form = reader.get(admin_url(obj, "simple_history", obj.pk, version.history_id)).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    return {name: value for name, value in data.items() if value is not None}


def changed_then_reverted(client, obj, label):
    """POSTs the history form of the version before a change; the outcome and whether the change was undone."""
    field = HISTORY_FIELD[label]
    version = obj.history.latest()
    old_value = getattr(obj, field)
    setattr(obj, field, f"{old_value} changed")
    obj.save()
    data = revert_form_data(obj, version)
    response = client.post(admin_url(obj, "simple_history", obj.pk, version.history_id), data)
    obj.refresh_from_db()
    reverted = getattr(obj, field) == old_value
    if response.status_code == 302 and not response["Location"].startswith(reverse("admin:login")):
        return "allowed" if reverted else "302 but not reverted"
    if reverted:
        return f"{outcome(response)} but reverted"  # refused must mean unchanged
    return outcome(response)


def test_every_admin_model_is_in_the_table():
    assert sorted(RIGHTS) == ADMIN_MODELS
    assert sorted(MAKE) == ADMIN_MODELS
    assert sorted(HISTORY_FIELD) == HISTORY_MODELS


@pytest.mark.parametrize(("group", "column"), [("Editors", 0), ("Partner managers", 1)])
def test_the_table_matches_the_groups_permissions(group, column):
    """The groups as their data migrations made them hold exactly the rights the table gives (on admin models)."""
    letters = {"view": "v", "add": "a", "change": "c", "delete": "d"}
    held = {label: set() for label in ADMIN_MODELS}
    for permission in Group.objects.get(name=group).permissions.select_related("content_type"):
        action, _, model = permission.codename.partition("_")
        label = f"{permission.content_type.app_label}.{model}"
        if label in held and action in letters:
            held[label].add(letters[action])
    assert held == {label: set(RIGHTS[label][column]) for label in ADMIN_MODELS}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("label", ADMIN_MODELS)
def test_admin_views_allow_and_refuse_as_the_table_says(client, actor, label):
    obj = MAKE[label]()
    log_in(client, actor)

    row = {
        "changelist": outcome(client.get(admin_url(obj, "changelist"))),
        "add": outcome(client.get(admin_url(obj, "add"))),
        "change": outcome(client.get(admin_url(obj, "change", obj.pk))),
        "delete": outcome(client.get(admin_url(obj, "delete", obj.pk))),
        "history": outcome(client.get(admin_url(obj, "history", obj.pk))),
    }
    if label in HISTORY_MODELS:
        version = obj.history.latest()
        row["history form"] = outcome(client.get(admin_url(obj, "simple_history", obj.pk, version.history_id)))
        row["revert"] = changed_then_reverted(client, obj, label)

    assert row == expected_row(actor, label)
    assert type(obj).objects.filter(pk=obj.pk).exists()  # delete pages were only looked at


@pytest.fixture
def private_urls(db):
    """Each private page's address as the visitor knows it; only the partner holds its report link."""
    partner = PartnerFactory(name="Holder Academy")
    PartnerFactory(name="Rival Academy")
    ClickFactory(offer=OfferFactory(partner=partner))
    rotated = partner.report_token
    partner.rotate_report_token()
    draft = CareerFactory(published=False)

    def report(actor, csv=False):
        token = partner.report_token if actor == "partner token" else "a-guessed-token"
        return reverse("courses:partner_report", args=[token]) + ("?format=csv" if csv else "")

    return {
        "admin index": lambda actor: reverse("admin:index"),
        "admin guides app": lambda actor: reverse("admin:app_list", args=["guides"]),
        "admin courses app": lambda actor: reverse("admin:app_list", args=["courses"]),
        "admin partner report": lambda actor: reverse("admin:courses_partner_report"),
        "admin partner report csv": lambda actor: reverse("admin:courses_partner_report") + "?format=csv",
        "admin autocomplete of courses": lambda actor: (
            reverse("admin:autocomplete") + "?app_label=guides&model_name=guidesection&field_name=picks"
        ),
        "admin password change of a user": lambda actor: reverse(
            "admin:auth_user_password_change", args=[UserFactory().pk]
        ),
        "career preview of a draft": lambda actor: reverse("guides:career_preview", args=[draft.slug]),
        "partner report, the link held": report,
        "partner report csv, the link held": lambda actor: report(actor, csv=True),
        "partner report, a rotated-out link": lambda actor: reverse("courses:partner_report", args=[rotated]),
    }


@pytest.mark.parametrize("actor", ACTORS)
def test_private_pages_allow_and_refuse_as_the_table_says(client, private_urls, actor):
    log_in(client, actor)

    row = {page: outcome(client.get(private_urls[page](actor))) for page in PAGES}

    assert row == {page: who[ACTORS.index(actor)] for page, who in PAGES.items()}


def test_the_report_link_shows_its_own_partner_only(client, private_urls):
    response = client.get(private_urls["partner report, the link held"]("partner token"))

    assert b"Holder Academy" in response.content  # positive control
    assert b"Rival Academy" not in response.content
