"""/sitemap.xml (an index of one sitemap per section, each split into pages of 50,000 addresses) and /robots.txt.

Only what learners can open is listed: published careers, career profiles (every imported occupation without a
published guide), interest pages, courses and books, and topics with at least one
published item (the topic list shows the same ones). Items are read with only the columns a sitemap needs.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from courses.models import Course, Topic
from guides.models import Career, Interest, Occupation


class PageSitemap(Sitemap):
    """The public pages that list or explain, rather than show one item."""

    def items(self):
        return [
            "guides:home",
            "guides:career_list",
            "guides:interest_list",
            "courses:list",
            "courses:topic_list",
            "courses:disclosure",
        ]

    def location(self, name):
        return reverse(name)


class CareerSitemap(Sitemap):
    def items(self):
        # A guide changes when its career or one of its published sections does.
        return (
            Career.objects.published()
            .only("slug", "updated_at")
            .annotate(sections_updated=Max("sections__updated_at", filter=Q(sections__published=True)))
            .order_by("pk")
        )

    def lastmod(self, career):
        return max(filter(None, [career.updated_at, career.sections_updated]))

    def get_latest_lastmod(self):
        # Django's default reads every item; the newest of each kind is one query.
        latest = Career.objects.published().aggregate(
            career=Max("updated_at"), section=Max("sections__updated_at", filter=Q(sections__published=True))
        )
        return max(filter(None, latest.values()), default=None)


class OccupationSitemap(Sitemap):
    """Career profiles without a published guide (a guide is listed as the career, at its own address)."""

    def items(self):
        guides = Career.objects.published().filter(occupation__isnull=False).values("occupation_id")
        return Occupation.objects.exclude(pk__in=guides).only("slug").order_by("pk")


class InterestSitemap(Sitemap):
    def items(self):
        return [label.lower() for _, label in Interest.choices]

    def location(self, slug):
        return reverse("guides:interest_detail", kwargs={"code": slug})


class CourseSitemap(Sitemap):
    """Published courses; books are a section (and files) of their own."""

    kind = Course.Kind.COURSE

    def published(self):
        return Course.objects.published().filter(kind=self.kind)

    def items(self):
        return self.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, course):
        return course.updated_at

    def get_latest_lastmod(self):
        return self.published().aggregate(latest=Max("updated_at"))["latest"]


class BookSitemap(CourseSitemap):
    kind = Course.Kind.BOOK


class TopicSitemap(Sitemap):
    def items(self):
        # A topic page changes when one of its published items does; no published item, no entry.
        return (
            Topic.objects.only("slug")
            .annotate(latest=Max("courses__updated_at", filter=Q(courses__published=True)))
            .filter(latest__isnull=False)
            .order_by("pk")
        )

    def lastmod(self, topic):
        return topic.latest

    def get_latest_lastmod(self):
        return Course.objects.published().filter(topics__isnull=False).aggregate(latest=Max("updated_at"))["latest"]


SITEMAPS = {
    "pages": PageSitemap,
    "careers": CareerSitemap,
    "occupations": OccupationSitemap,
    "interests": InterestSitemap,
    "courses": CourseSitemap,
    "books": BookSitemap,
    "topics": TopicSitemap,
}


@require_safe
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("sitemap"))
    return render(request, "robots.txt", {"sitemap_url": sitemap_url}, content_type="text/plain; charset=utf-8")
