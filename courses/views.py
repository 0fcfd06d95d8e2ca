from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from courses import search
from courses.forms import CourseFilterForm
from courses.models import Course, Topic

PAGE_SIZE = 20
FACET_LIMIT = 8  # values shown per facet; ticked values are always shown


@require_GET
@vary_on_headers("HX-Request")
def course_list(request):
    form = CourseFilterForm(request.GET)
    filters = form.filters()
    published = Course.objects.published()
    matches = published.search(filters["q"], ranked=False)
    counts = matches.facet_counts(filters)
    if filters["q"] and filters["sort"] == "relevance":
        results = published.search(filters["q"]).filtered(filters)
    else:
        results = matches.filtered(filters).sorted_by(filters["sort"])
    paginator = Paginator(results.select_related("provider"), PAGE_SIZE)
    paginator.count = counts["total"]  # counted with the facets: one pass over the matches fewer
    page = paginator.get_page(request.GET.get("page"))
    facets = facet_options(counts, filters)
    did_you_mean = search.suggestion(filters["q"]) if filters["q"] and not page.paginator.count else None

    template = "courses/course_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#catalog"
    context = {"form": form, "filters": filters, "page": page, "facets": facets, "did_you_mean": did_you_mean}
    return render(request, template, context)


def facet_options(counts: dict, filters: dict) -> list[dict]:
    """Facets as the template shows them: a legend and (value, label, count, checked) rows, biggest first."""
    labels = {"kind": dict(Course.Kind.choices), "level": dict(Course.Level.choices)}
    facets = []
    for name, legend in [
        ("kind", "Format"),
        ("price", "Price"),
        ("level", "Level"),
        ("topic", "Topic"),
        ("provider", "Provider"),
        ("language", "Language"),
        ("career", "Career"),
    ]:
        chosen = set(filters.get(name) or [])
        options = [
            {
                "value": value,
                "label": labels.get(name, {}).get(value, label),
                "count": count,
                "checked": value in chosen,
            }
            for value, (label, count) in counts[name].items()
            if count or value in chosen
        ]
        options.sort(key=lambda option: (-option["count"], str(option["label"])))
        shown = options[:FACET_LIMIT] + [o for o in options[FACET_LIMIT:] if o["checked"]]
        known = {option["value"] for option in options}
        shown += [{"value": v, "label": v, "count": 0, "checked": True} for v in chosen - known]
        if name == "language":
            for option in shown:
                option["label"] = option["label"].upper()
        facets.append({"name": name, "legend": legend, "options": shown})
    certificate_count = counts["certificate"][True][1]
    if certificate_count or filters["certificate"]:
        facets.append(
            {
                "name": "certificate",
                "legend": "Certificate",
                "options": [
                    {
                        "value": "1",
                        "label": "With certificate",
                        "count": certificate_count,
                        "checked": filters["certificate"],
                    }
                ],
            }
        )
    return facets


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
    return render(request, "courses/course_detail.html", {"course": course, "topics": topics, "related": related})


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
