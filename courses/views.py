from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from careerguide import seo
from careerguide.page_cache import keep_only_if, query_pairs
from courses import facets, search_engine, search_index
from courses.catalog import (
    PAGE_SIZE,
    best_in_topics,
    popular_topics,
    related_courses,
    search_catalog,
    tell_namesakes_apart,
)
from courses.forms import CourseFilterForm, useful_sorts
from courses.models import Course, Topic
from courses.models.catalog import site_of

SLUG_FACETS = ["topic", "provider", "career", "language"]  # any slug passes the form; only some exist


@require_GET
@vary_on_headers("HX-Request")
def course_list(request):
    form = CourseFilterForm(request.GET)
    filters = form.filters()
    bounded = _is_bounded_search(request, form, filters)
    found = search_catalog(filters, request.GET.get("page"))
    template = "courses/course_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#catalog"
    options = facets.options(found.counts, filters)
    tell_namesakes_apart(options)
    chips = form.removal_links(filters, options)
    context = {
        "form": form,
        "filters": filters,
        "page": found.page,
        "facets": options,
        "sorts": useful_sorts(filters, found.counts),
        "heading": facets.describe(options, filters["q"]),
        "chips": chips,
        "clear_url": form.query_without(filters) if chips else None,
        "popular_topics": [] if found.page.paginator.count else popular_topics(),
        "did_you_mean": found.did_you_mean,
        # Names the filters in the meta description: a single ticked value makes a landing page, such as "Go".
        "chosen_labels": [option["label"] for facet in options for option in facet["options"] if option["checked"]],
        "indexing": seo.catalog_indexing(
            filters, page_number=found.page.number, result_count=found.page.paginator.count
        ),
    }
    response = render(request, template, context)
    chosen_exist = all(value in found.counts[name] for name in SLUG_FACETS for value in filters[name])
    # A page is kept whole only if the index had every change of the log: a page rendered in the second
    # before this host applied an edit must not outlive the edit's retiring of cached pages.
    return keep_only_if(response, bounded and chosen_exist and search_index.live().is_current())


def _is_bounded_search(request, form, filters) -> bool:
    """Whether this query is one of a bounded set: valid values only, as the form keeps them, and no free
    text but the names and synonyms of topics. Only such searches are kept whole in the page cache; any
    other is answered and forgotten.
    """
    submitted = [pair for pair in query_pairs(request) if pair[0] != "page" and pair != ("sort", "relevance")]
    known_words = not filters["q"] or filters["q"].lower() in Topic.objects.synonym_map()
    return known_words and submitted == form.canonical_pairs(filters)


SUGGESTION_KINDS = {"topic": "Topic", "career": "Career", "course": "Course", "book": "Book"}


@require_GET
def course_suggestions(request):
    """The typeahead's options for what is typed in a search box (static/js/suggest.js asks on each keystroke):
    only the <li> options, which the script puts in its listbox. Without JavaScript nothing asks for it."""
    text = request.GET.get("q", "")[:200]  # the search box's own maxlength; any longer text is cut, not refused
    suggestions = [] if "\x00" in text else search_engine.suggest(text, limit=8)
    options = [{"label": s.label, "url": s.url, "kind": SUGGESTION_KINDS.get(s.kind, "")} for s in suggestions]
    response = render(request, "courses/_suggestions.html", {"options": options})
    response["Cache-Control"] = "no-store"  # what a learner types is theirs alone, and an unpublish shows at once
    return response


@require_GET
def course_detail(request, slug):
    course = get_object_or_404(Course.objects.published_or_retired().select_related("provider"), slug=slug)
    topics = list(course.topics.all())
    related = related_courses(course, topics)
    if course.retired_at:
        # 410 Gone, not 404: the item existed and is gone, so search engines drop it at once, while a learner
        # who followed an old link, a guide or a plan learns what happened and gets the alternatives.
        context = {"course": course, "topics": topics, "related": related}
        return render(request, "courses/course_retired.html", context, status=410)
    offers = list(course.offers.live().best_first().select_related("partner"))
    context = {
        "course": course,
        "topics": topics,
        "guides": list(course.recommending_guides()),
        "destination": site_of(offers[0].url) if offers else course.site,
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
    # The guides' rule: items mostly about the topic first, then rating, free, known length (not title order).
    best = [course for course, _ in best_in_topics([(topic.pk,)], per_set=PAGE_SIZE).get((topic.pk,), [])]
    context = {
        "topic": topic,
        "courses": best,
        "total": in_topic.count(),
        "guides": topic.careers.filter(published=True).order_by("name"),  # guides -> courses: the reverse relation
        "structured_data": seo.item_list(request, name=f"{topic.name}: courses and books", items=best),
    }
    return render(request, "courses/topic_detail.html", context)
