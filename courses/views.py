from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from careerguide import seo
from courses import facets
from courses.catalog import PAGE_SIZE, related_courses, search_catalog
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
    options = facets.options(found.counts, filters)
    context = {
        "form": form,
        "filters": filters,
        "page": found.page,
        "facets": options,
        "did_you_mean": found.did_you_mean,
        # Names the page in its title: a single ticked value makes a landing page, such as "Go".
        "chosen_labels": [option["label"] for facet in options for option in facet["options"] if option["checked"]],
        "indexing": seo.catalog_indexing(
            filters, page_number=found.page.number, result_count=found.page.paginator.count
        ),
    }
    return render(request, template, context)


@require_GET
def course_detail(request, slug):
    course = get_object_or_404(Course.objects.published().select_related("provider"), slug=slug)
    topics = list(course.topics.all())
    related = related_courses(course, topics)
    offers = list(course.offers.live().best_first().select_related("partner"))
    context = {
        "course": course,
        "topics": topics,
        "related": related,
        "offers": offers,
        "structured_data": seo.course_or_book(request, course),
    }
    return render(request, "courses/course_detail.html", context)


@require_GET
def topic_list(request):
    topics = Topic.objects.annotate(course_count=Count("courses", filter=Q(courses__published=True))).filter(
        course_count__gt=0
    )
    context = {"topics": topics, "structured_data": seo.item_list(request, name="Topics", items=topics)}
    return render(request, "courses/topic_list.html", context)


@require_GET
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    in_topic = Course.objects.published().in_topic([topic.slug])
    best = list(in_topic.sorted_by("rating").select_related("provider")[:PAGE_SIZE])
    context = {
        "topic": topic,
        "courses": best,
        "total": in_topic.count(),
        "structured_data": seo.item_list(request, name=f"{topic.name}: courses and books", items=best),
    }
    return render(request, "courses/topic_detail.html", context)
