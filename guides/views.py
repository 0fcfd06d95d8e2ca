from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from careerguide import seo
from guides.forms import CareerSearchForm
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
    career.attach_recommendations()
    response = render(request, "guides/career_detail.html", {"career": career, "preview": True})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response
