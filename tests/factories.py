from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from courses.models import Click, Conversion, Course, Offer, Partner, Provider, Topic
from guides.models import Career, GuideSection


class CareerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Career

    name = factory.Sequence(lambda n: f"Career {n}")
    slug = factory.Sequence(lambda n: f"career-{n}")
    summary = "What the job is, in a sentence."
    intro = "An introduction to the job."
    published = True


class GuideSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuideSection

    career = factory.SubFactory(CareerFactory)
    kind = GuideSection.Kind.OTHER
    heading = factory.Sequence(lambda n: f"Section {n}")
    body = "Some **useful** advice."
    position = factory.Sequence(lambda n: (n + 1) * 10)
    published = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class EditorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def editors_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name="Editors"))


class PartnerManagerFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def partner_managers_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name="Partner managers"))


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Provider {n}")
    slug = factory.LazyAttribute(lambda provider: slugify(provider.name))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda topic: slugify(topic.name))


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    kind = Course.Kind.COURSE
    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    description = "A course about back end work."
    provider = factory.SubFactory(ProviderFactory)
    url = factory.Sequence(lambda n: f"https://learn.example.com/course-{n}")
    level = Course.Level.BEGINNER
    price = Decimal("10.00")
    source = "test"
    external_id = factory.Sequence(lambda n: f"ext-{n}")

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.LazyAttribute(lambda partner: slugify(partner.name))
    allowed_hosts = "learn.example.com\n*.partner.example"
    commission_rate = Decimal("10.00")
    tag_parameters = "utm_source=careerguide&aff={tag}"


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    course = factory.SubFactory(CourseFactory)
    partner = factory.SubFactory(PartnerFactory)
    url = factory.LazyAttribute(lambda offer: offer.course.url)
    commission_tag = "cg-1"


class ClickFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Click

    offer = factory.SubFactory(OfferFactory)
    created_at = factory.LazyFunction(timezone.now)
    referrer_path = "/courses/"
    visitor_hash = factory.Sequence(lambda n: f"{n:064x}")
    is_bot = False


class ConversionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversion

    click = factory.SubFactory(ClickFactory)
    partner = factory.LazyAttribute(lambda conversion: conversion.click.offer.partner)
    click_uuid = factory.LazyAttribute(lambda conversion: conversion.click.click_id)
    order_id = factory.Sequence(lambda n: f"order-{n}")
    amount = Decimal("50.00")
    commission = Decimal("5.00")
    currency = "USD"
