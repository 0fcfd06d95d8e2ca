import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.db import transaction

from courses.models import Topic
from guides.models import Career, GuideSection, Occupation, OneTimePassword


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
