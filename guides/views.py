from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from careerguide import seo
from careerguide.page_cache import keep_only_if, query_pairs
from guides import careers
from guides.forms import CareerExplorerForm, CompareForm, explorer_facets, explorer_sorts
from guides.markdown import render_markdown, sanitizer_removals
from guides.models import INTEREST_FIELDS, INTEREST_TEXT, Career, Interest, Occupation


@require_GET
def home(request):
    careers = Career.objects.published()
    return render(request, "guides/home.html", {"careers": careers, "structured_data": seo.website(request)})


@require_GET
@vary_on_headers("HX-Request")
def career_list(request):
    """The explorer: every occupation, searchable by any of its titles, filtered with live counts."""
    form = CareerExplorerForm(request.GET)
    filters = form.filters()
    found = careers.explore(filters, request.GET.get("page"))
    facets = explorer_facets(found.counts, filters)
    chips = [
        {
            "label": option["label"],
            "legend": facet["legend"],
            "url": form.query_without(filters, facet["name"], option["value"]),
        }
        for facet in facets
        for option in facet["options"]
        if option["checked"]
    ]
    guides = Career.objects.published().matching(filters["q"]) if found.page.number == 1 else Career.objects.none()
    template = "guides/career_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#explorer"
    submitted = [pair for pair in query_pairs(request) if pair[0] != "page"]
    canonical = request.path
    if not submitted and found.page.number > 1:  # each page of the whole list is its own, as in the catalog
        canonical += f"?page={found.page.number}"
    context = {
        "form": form,
        "filters": filters,
        "query": filters["q"],
        "page": found.page,
        "facets": facets,
        "chips": chips,
        "clear_url": form.query_without(filters) if chips else None,
        "sorts": explorer_sorts(filters),
        "guides": guides,
        # Search results and combined filters would flood the index with near-duplicates.
        "robots": seo.NOINDEX if submitted else "",
        "canonical": canonical,
        "structured_data": seo.item_list(request, name="Careers", items=list(found.page.object_list)),
    }
    response = render(request, template, context)
    # Stored whole only for a bounded query: no free text, every value valid, as the form keeps it.
    return keep_only_if(response, not filters["q"] and submitted == form.canonical_pairs(filters))


@require_GET
def career_detail(request, slug):
    career = Career.objects.published().with_sections().select_related("occupation").filter(slug=slug).first()
    if career is None:
        occupation = Occupation.objects.with_guides().filter(slug=slug).first()
        if occupation is not None:
            return occupation_detail(request, occupation)
        renamed = Career.objects.published().renamed_from(slug).first()
        if renamed is None:
            raise Http404("No published career at this address.")
        return redirect(renamed, permanent=True)
    career.attach_recommendations()
    context = {"career": career, "preview": False, "structured_data": seo.career_guide(request, career)}
    if career.occupation is not None:
        career.occupation.guide_slug = career.slug
        context["profile"] = careers.profile(career.occupation)
        context["structured_data"]["about"] |= seo.occupation_facts(career.occupation)
    return render(request, "guides/career_detail.html", context)


def occupation_detail(request, occupation):
    """A career without a written guide: the occupation's facts. With a guide, the guide is its address."""
    if occupation.guide_slug:
        return redirect(occupation, permanent=True)
    context = {
        "occupation": occupation,
        "profile": careers.profile(occupation),
        "structured_data": seo.occupation(request, occupation),
    }
    return render(request, "guides/occupation_detail.html", context)


INTEREST_SLUGS = {label.lower(): code for code, label in Interest.choices}


@require_GET
def interest_list(request):
    counts = Occupation.objects.interest_counts()
    interests = [
        {"code": code, "name": label, "slug": label.lower(), "about": INTEREST_TEXT[code], "count": counts[code]}
        for code, label in Interest.choices
    ]
    return render(request, "guides/interest_list.html", {"interests": interests})


@require_GET
def interest_detail(request, code):
    letter = INTEREST_SLUGS.get(code)
    if letter is None:
        if code.upper() in INTEREST_FIELDS:  # /careers/interests/i/ → the named address
            return redirect("guides:interest_detail", code=Interest(code.upper()).label.lower(), permanent=True)
        raise Http404("No such interest.")
    occupations = Occupation.objects.with_guides().best_for_interest(letter)
    page = Paginator(occupations, 50).get_page(request.GET.get("page"))
    context = {
        "interest": {"code": letter, "name": Interest(letter).label, "about": INTEREST_TEXT[letter]},
        "score_field": INTEREST_FIELDS[letter],
        "page": page,
        "others": [(label, label.lower()) for value, label in Interest.choices if value != letter],
        "canonical": request.path + (f"?page={page.number}" if page.number > 1 else ""),
    }
    return render(request, "guides/interest_detail.html", context)


@require_GET
def career_compare(request):
    form = CompareForm(request.GET)
    a_text, b_text = form.values()
    a, b = careers.find_occupation(a_text), careers.find_occupation(b_text)
    comparison = careers.compare(a, b) if a and b else None
    # Named by their addresses, not by free text: a bounded set, which the page cache may keep.
    by_slug = all(text in (found.slug, found.guide_slug) for text, found in ((a_text, a), (b_text, b)) if found)
    # Only the pairs profiles link to (a career and one of its related careers) are pages for search engines:
    # any two of a thousand careers would be a million thin pages.
    indexable = bool(comparison and by_slug and careers.is_linked_pair(a, b))
    context = {
        "form": form,
        "a_text": a_text,
        "b_text": b_text,
        "a": a,
        "b": b,
        "comparison": comparison,
        "not_found": [text for text, found in ((a_text, a), (b_text, b)) if text and found is None],
        "indexable": indexable,
        "canonical": f"{request.path}?{urlencode({'a': a_text, 'b': b_text})}" if indexable else None,
    }
    response = render(request, "guides/career_compare.html", context)
    if not indexable:
        response["X-Robots-Tag"] = "noindex, follow"
    return keep_only_if(response, by_slug and not context["not_found"])


@require_GET
@staff_member_required
@permission_required("guides.view_career", raise_exception=True)  # staff who run partners see no drafts
def career_preview(request, slug):
    """The guide as it will look, drafts included: for editors only, never cached or indexed."""
    career = Career.objects.with_sections(include_drafts=True).filter(slug=slug).first()
    if career is None:
        raise Http404("No career at this address.")
    for section in career.visible_sections:
        section.show_draft()  # waiting revisions of published sections, as they will read once published
    career.attach_recommendations()
    response = render(request, "guides/career_detail.html", {"career": career, "preview": True})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


PREVIEWED_FIELDS = {"body", "intro"}  # the Markdown fields of a section and a career


@require_POST
@staff_member_required
def markdown_preview(request):
    """A section's or career's Markdown as learners will see it, through the same sanitizer, with what that
    removed named. Posted by the admin form's "Preview" button (htmx swaps in the fragment; without JavaScript
    the whole form posts here into a new tab), so nothing is saved.
    """
    if not (request.user.has_perm("guides.change_guidesection") or request.user.has_perm("guides.change_career")):
        raise PermissionDenied
    field = request.GET.get("field", "body")
    if field not in PREVIEWED_FIELDS:
        return HttpResponseBadRequest("Only a body or an intro can be previewed.")
    text = request.POST.get(field, "")
    context = {
        **admin.site.each_context(request),
        "title": "Preview",
        "html": render_markdown(text),
        "removals": sanitizer_removals(text),
    }
    template = "admin/guides/markdown_preview.html"
    response = render(request, template + "#preview" if request.htmx else template, context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
