from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from careerguide import seo
from guides.forms import CareerSearchForm
from guides.markdown import render_markdown, sanitizer_removals
from guides.models import Career


@require_GET
def home(request):
    careers = Career.objects.published()
    return render(request, "guides/home.html", {"careers": careers, "structured_data": seo.website(request)})


@require_GET
def career_list(request):
    form = CareerSearchForm(request.GET)
    careers = Career.objects.published().matching(form.query)
    context = {
        "careers": careers,
        "form": form,
        "query": form.query,
        "robots": seo.NOINDEX if form.query else "",  # search results: canonical is the full list
        "structured_data": seo.item_list(request, name="Career guides", items=careers),
    }
    return render(request, "guides/career_list.html", context)


@require_GET
def career_detail(request, slug):
    career = Career.objects.published().with_sections().filter(slug=slug).first()
    if career is None:
        renamed = Career.objects.published().renamed_from(slug).first()
        if renamed is None:
            raise Http404("No published career at this address.")
        return redirect(renamed, permanent=True)
    career.attach_recommendations()
    context = {"career": career, "preview": False, "structured_data": seo.career_guide(request, career)}
    return render(request, "guides/career_detail.html", context)


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
