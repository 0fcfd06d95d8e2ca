from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from guides.forms import CareerSearchForm
from guides.models import Career


@require_GET
def home(request):
    careers = Career.objects.published()
    return render(request, "guides/home.html", {"careers": careers})


@require_GET
def career_list(request):
    form = CareerSearchForm(request.GET)
    careers = Career.objects.published().matching(form.query)
    return render(request, "guides/career_list.html", {"careers": careers, "form": form, "query": form.query})


@require_GET
def career_detail(request, slug):
    career = Career.objects.published().with_sections().filter(slug=slug).first()
    if career is None:
        renamed = Career.objects.published().renamed_from(slug).first()
        if renamed is None:
            raise Http404("No published career at this address.")
        return redirect(renamed, permanent=True)
    career.attach_recommendations()
    return render(request, "guides/career_detail.html", {"career": career, "preview": False})


@require_GET
@staff_member_required
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
