from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from courses import facets
from courses.catalog import PAGE_SIZE, search_catalog
from courses.forms import CourseFilterForm
from courses.models import Course, Topic


@require_GET
@vary_on_headers("HX-Request")
def course_list(request):
    form = CourseFilterForm(request.GET)
    filters = form.filters()
    found = search_catalog(filters, request.GET.get("page"))
    template = "courses/course_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#catalog"
    context = {
        "form": form,
        "filters": filters,
        "page": found.page,
        "facets": facets.options(found.counts, filters),
        "did_you_mean": found.did_you_mean,
    }
    return render(request, template, context)


@require_GET
def course_detail(request, slug):
    course = get_object_or_404(Course.objects.published().select_related("provider"), slug=slug)
    topics = list(course.topics.all())
    related = (
        Course.objects.published()
        .filter(topics__in=topics)
        .exclude(pk=course.pk)
        .annotate(shared=Count("topics"))
        .order_by("-shared", "-rating", "title")
        .select_related("provider")[:6]
    )
    offers = list(course.offers.live().best_first().select_related("partner"))
    context = {"course": course, "topics": topics, "related": related, "offers": offers}
    return render(request, "courses/course_detail.html", context)


@require_GET
def topic_list(request):
    topics = Topic.objects.annotate(course_count=Count("courses", filter=Q(courses__published=True))).filter(
        course_count__gt=0
    )
    return render(request, "courses/topic_list.html", {"topics": topics})


@require_GET
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    in_topic = Course.objects.published().in_topic([topic.slug])
    best = in_topic.sorted_by("rating").select_related("provider")[:PAGE_SIZE]
    context = {"topic": topic, "courses": best, "total": in_topic.count()}
    return render(request, "courses/topic_detail.html", context)
