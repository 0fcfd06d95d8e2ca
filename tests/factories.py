import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

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
