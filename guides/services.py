import re
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils.text import slugify

from careerguide import page_cache
from courses.models import Topic
from guides import onet
from guides.models import (
    INTEREST_FIELDS,
    Career,
    GuideSection,
    Occupation,
    OccupationTechnology,
    OccupationTitle,
    OneTimePassword,
    RelatedOccupation,
    Technology,
    growth_band,
    pay_band,
    squash,
)


@transaction.atomic
def load_guide(*, data: dict) -> tuple[Career, int]:
    """Create a career guide and any of its sections that are missing; never overwrite an editor's work.

    Returns the career and how many sections were created, so a second run reports 0.
    """
    career = Career.objects.filter(slug=data["slug"]).first() or Career.objects.renamed_from(data["slug"]).first()
    if career is None:
        career = Career.objects.create(
            slug=data["slug"],
            name=data["name"],
            summary=data["summary"],
            intro=data["intro"],
            alternative_titles=", ".join(data.get("alternative_titles", [])),
            published=True,
        )
    if career.occupation_id is None and data.get("occupation"):
        # Tied once; an editor may tie it to another occupation or none afterwards.
        occupation = Occupation.objects.filter(code=data["occupation"]).first()
        if occupation is not None and not Career.objects.filter(occupation=occupation).exists():
            career.occupation = occupation
            career.save(update_fields=["occupation", "updated_at"])
    if not career.topics.exists():
        career.topics.set(Topic.objects.filter(name__in=data.get("topics", [])))
    created = 0
    for position, section in enumerate(data["sections"], start=1):
        # Editors may reword headings: a standard section is matched by its kind, a free-form one by heading.
        existing = career.sections.filter(kind=section["kind"])
        if section["kind"] == GuideSection.Kind.OTHER:
            existing = existing.filter(heading=section["heading"])
        if existing.exists():
            continue
        new_section = GuideSection.objects.create(
            career=career,
            kind=section["kind"],
            heading=section["heading"],
            body=section["body"],
            position=position * 10,
            published=True,
        )
        new_section.topics.set(Topic.objects.filter(name__in=section.get("topics", [])))
        created += 1
    return career, created


@transaction.atomic
def issue_staff_account(*, username: str, email: str, group: Group) -> tuple[AbstractBaseUser, bool, str]:
    """Create a staff account in `group` (or give an existing one a new password) with a one-time password.

    Returns the user, whether it was created and the password, which is stored only as a hash: the first
    sign-in with it leads to the password change (guides.middleware.OneTimePasswordMiddleware).
    """
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if user.is_superuser:
        raise ValueError(f"{username} is a superuser; use `manage.py changepassword` instead.")
    if email:
        user.email = email
    user.is_staff = True  # may sign in to the admin; the group decides what they see there
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.save()
    user.groups.add(group)
    OneTimePassword.objects.update_or_create(user=user, defaults={"password": user.password})
    return user, created, password


@transaction.atomic
def start_guide(*, occupation: Occupation) -> tuple[Career, bool]:
    """The guide about `occupation`: a new unpublished career named after it, or the one already tied to it.

    Returns the career and whether it was created; editors then write its summary, intro and sections.
    """
    existing = Career.objects.filter(occupation=occupation).first()
    if existing is not None:
        return existing, False
    slug = occupation.slug
    if Career.objects.filter(slug=slug).exists():
        slug = f"{slug}-{occupation.code.replace('.', '-')}"
    career = Career.objects.create(name=occupation.title, slug=slug, occupation=occupation, published=False)
    return career, True


@dataclass
class OccupationImport:
    """What an import changed, per table, and the lines it rejected."""

    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    rejected: int = 0

    def changed(self) -> bool:
        return any(count["created"] or count["updated"] or count["deleted"] for count in self.counts.values())


@transaction.atomic
def import_occupations(*, onet_dir: Path, bls_file: Path, on_rejected=lambda rejected: None) -> OccupationImport:
    """Load O*NET's occupations, titles, job zones, interests, related occupations and technologies from
    `onet_dir`, and the BLS projections from `bls_file`, as published (guides.onet reads them).

    Idempotent: rows are compared with what is stored and only differences are written, so a second run
    reports nothing created, updated or deleted. Bad lines go to `on_rejected` and the rest loads. An
    occupation a later release drops is kept (a guide may be tied to it) and counted as "kept".
    """
    result = OccupationImport()
    if connection.vendor == "postgresql":
        # Check each batch's foreign keys as it is written, not 110,000 of them at once at the end: one statement
        # that long would meet a statement_timeout (a test's connection may carry a web request's).
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def good(rows):
        for row in rows:
            if isinstance(row, onet.Rejected):
                result.rejected += 1
                on_rejected(row)
            else:
                yield row

    def unknown(file: str, line: int, code: str):
        result.rejected += 1
        on_rejected(onet.Rejected(file, line, f"unknown O*NET-SOC code {code}"))

    release, _ = onet.read_bls_header(bls_file)
    projections = {}
    for projection in good(onet.read_bls(bls_file)):
        if projection.line_item or projection.soc not in projections:
            projections[projection.soc] = projection

    wanted = {code: {"title": title} for code, title in good(onet.read_occupations(onet_dir))}
    for code, zone in good(onet.read_job_zones(onet_dir)):
        if code in wanted:
            wanted[code]["job_zone"] = zone
    high_points = defaultdict(dict)
    for kind, code, key, value in good(onet.read_interests(onet_dir)):
        if code not in wanted:
            continue
        if kind == "score":
            wanted[code][INTEREST_FIELDS[key]] = value
        else:
            high_points[code][key] = value
    release_name = onet_release(onet_dir)
    for code, values in wanted.items():
        values["interest_code"] = "".join(letter for _, letter in sorted(high_points[code].items()))
        values["onet_release"] = release_name
        values |= _bls_figures(projections.get(code.split(".")[0]), release)
        for name in INTEREST_FIELDS.values():
            values.setdefault(name, None)
        values.setdefault("job_zone", None)

    alternate = defaultdict(list)
    for code, title, line in good(onet.read_alternate_titles(onet_dir)):
        if code not in wanted:
            unknown(onet.ONET_FILES["titles"], line, code)
        elif title != wanted[code]["title"] and title not in alternate[code]:
            alternate[code].append(title)
    for code, values in wanted.items():
        # The occupation's own title first: search() ranks a document that starts with the words highest.
        squashed = [squash(values["title"]), *sorted({squash(title) for title in alternate[code]})]
        values["search_document"] = "|" + "|".join(dict.fromkeys(filter(None, squashed))) + "|"

    occupations = _sync_occupations(wanted, result)
    ids = {code: occupation.pk for code, occupation in occupations.items()}
    titles = {(ids[code], values["title"]): True for code, values in wanted.items()}
    for code, names in alternate.items():
        for title in names:
            titles[(ids[code], title)] = False
    _sync_titles(titles, result)

    related = {}
    for code, other, tier, index, line in good(onet.read_related(onet_dir)):
        if code not in ids or other not in ids:
            unknown(onet.ONET_FILES["related"], line, code if code not in ids else other)
        else:
            related[(ids[code], ids[other])] = (tier, index)
    _sync_links(RelatedOccupation, "related_id", ["tier", "position"], related, result)

    links, commodities = {}, {}
    rows = list(good(onet.read_technology(onet_dir)))
    for _code, name, commodity, *_ in rows:
        commodities.setdefault(name, commodity)
    technology_ids = _sync_technologies(commodities, result)
    for code, name, _, hot, in_demand, line in rows:
        if code not in ids:
            unknown(onet.ONET_FILES["technology"], line, code)
        else:
            links[(ids[code], technology_ids[name])] = (hot, in_demand)
    _sync_links(OccupationTechnology, "technology_id", ["hot", "in_demand"], links, result)
    result.counts["technology topics"]["updated"] += Technology.objects.map_to_topics()
    if result.changed():
        page_cache.pages_changed()
    return result


def onet_release(directory: Path) -> str:
    """ "30.1" from the release's Read Me.txt, else from the directory's name (onet-30.1), else blank."""
    readme = directory / "Read Me.txt"
    text = readme.read_text(errors="replace")[:500] if readme.is_file() else directory.name
    found = re.search(r"(\d{2}\.\d)", text)
    return found.group(1) if found else ""


def _bls_figures(projection, release) -> dict:
    if projection is None:
        values = dict.fromkeys(BLS_FIELDS)
        values |= {"median_wage_top_coded": False, "entry_education": "", "bls_code": "", "bls_release": ""}
        values |= {"wage_year": None}
    else:
        values = {
            "bls_code": projection.soc,
            "bls_release": release.projection,
            "wage_year": release.wage_year if projection.median_wage is not None else None,
            "median_wage": projection.median_wage,
            "median_wage_top_coded": projection.median_wage_top_coded,
            "employment_start": projection.employment_start,
            "employment_end": projection.employment_end,
            "employment_change_percent": projection.change_percent,
            "annual_openings": projection.annual_openings,
            "entry_education": projection.entry_education,
        }
    values["pay_band"] = pay_band(values["median_wage"])
    values["growth_band"] = growth_band(values["employment_change_percent"])
    return values


BLS_FIELDS = ["median_wage", "employment_start", "employment_end", "employment_change_percent", "annual_openings"]


def _sync_occupations(wanted: dict, result: OccupationImport) -> dict:
    fields = sorted({name for values in wanted.values() for name in values})
    existing = {occupation.code: occupation for occupation in Occupation.objects.all()}
    taken = {occupation.slug for occupation in existing.values()}
    created, updated = [], []
    for code, values in wanted.items():
        occupation = existing.get(code)
        if occupation is None:
            slug = slugify(values["title"])[:140] or code.replace(".", "-")
            if slug in taken:
                slug = f"{slug[:128]}-{code.replace('.', '-')}"
            taken.add(slug)
            created.append(Occupation(code=code, slug=slug, **values))
        elif any(getattr(occupation, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(occupation, name, value)
            updated.append(occupation)
    Occupation.objects.bulk_create(created, batch_size=500)
    Occupation.objects.bulk_update(updated, fields, batch_size=500)
    count = result.counts["occupations"]
    count["created"], count["updated"] = len(created), len(updated)
    count["unchanged"] = len(wanted) - len(created) - len(updated)
    count["kept"] = len(set(existing) - set(wanted))
    return {occupation.code: occupation for occupation in Occupation.objects.filter(code__in=wanted)}


def _sync_titles(titles: dict, result: OccupationImport) -> None:
    """`titles`: {(occupation id, title): is primary}. A title that became (or stopped being) the primary
    one is written again: deleted and created, counted as updated."""
    existing = {
        (occupation_id, title): (pk, primary)
        for pk, occupation_id, title, primary in OccupationTitle.objects.values_list(
            "pk", "occupation_id", "title", "is_primary"
        )
    }
    stale = [pk for key, (pk, primary) in existing.items() if titles.get(key) is not primary]
    OccupationTitle.objects.filter(pk__in=stale).delete()
    fresh = [
        OccupationTitle(occupation_id=occupation_id, title=title, squashed=squash(title)[:250], is_primary=primary)
        for (occupation_id, title), primary in titles.items()
        if existing.get((occupation_id, title), (None, None))[1] is not primary
    ]
    OccupationTitle.objects.bulk_create(fresh, batch_size=2000)
    rewritten = sum(1 for title in fresh if (title.occupation_id, title.title) in existing)
    count = result.counts["titles"]
    count["created"], count["updated"] = len(fresh) - rewritten, rewritten
    count["deleted"] = len(stale) - rewritten
    count["unchanged"] = len(titles) - len(fresh)


def _sync_links(model, other: str, fields: list[str], wanted: dict, result: OccupationImport) -> None:
    """`wanted`: {(occupation id, other id): (field values…)}; writes only the differences."""
    existing = {
        (occupation_id, other_id): (pk, tuple(values))
        for pk, occupation_id, other_id, *values in model.objects.values_list("pk", "occupation_id", other, *fields)
    }
    stale = [pk for key, (pk, _) in existing.items() if key not in wanted]
    model.objects.filter(pk__in=stale).delete()
    created, updated = [], []
    for (occupation_id, other_id), values in wanted.items():
        found = existing.get((occupation_id, other_id))
        row = model(occupation_id=occupation_id, **{other: other_id}, **dict(zip(fields, values, strict=True)))
        if found is None:
            created.append(row)
        elif found[1] != tuple(values):
            row.pk = found[0]
            updated.append(row)
    model.objects.bulk_create(created, batch_size=2000)
    model.objects.bulk_update(updated, fields, batch_size=2000)
    count = result.counts[model._meta.verbose_name_plural]
    count["created"], count["updated"], count["deleted"] = len(created), len(updated), len(stale)
    count["unchanged"] = len(wanted) - len(created) - len(updated)


def _sync_technologies(commodities: dict, result: OccupationImport) -> dict[str, int]:
    existing = {technology.name: technology for technology in Technology.objects.all()}
    created = [
        Technology(name=name, commodity=commodity) for name, commodity in commodities.items() if name not in existing
    ]
    updated = []
    for name, commodity in commodities.items():
        if name in existing and existing[name].commodity != commodity:
            existing[name].commodity = commodity
            updated.append(existing[name])
    Technology.objects.bulk_create(created, batch_size=1000)
    Technology.objects.bulk_update(updated, ["commodity"], batch_size=1000)
    count = result.counts["technologies"]
    count["created"], count["updated"] = len(created), len(updated)
    count["unchanged"] = len(commodities) - len(created) - len(updated)
    return dict(Technology.objects.values_list("name", "pk"))
