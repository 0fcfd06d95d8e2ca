"""Tags for what search engines and link previews read (see careerguide.seo). Site-wide: the public pages
of both apps and the templates under templates/seo/ load them; they live here because careerguide is no app.
"""

from django import template
from django.template.base import NodeList
from django.template.loader_tags import BlockNode
from django.urls import reverse
from django.utils.safestring import mark_safe

from careerguide import seo

register = template.Library()


@register.filter
def json_ld(data):
    """One <script type="application/ld+json"> block per object (a dict, or a list of them)."""
    objects = data if isinstance(data, list | tuple) else [data] if data else []
    return mark_safe("".join(seo.json_ld(item) for item in objects))  # each block is escaped by seo.json_ld


def block_text(context, name: str) -> str:
    """The page's `name` block rendered once more, whitespace collapsed.

    Django renders each block once; og:title and og:description repeat <title> and the meta description,
    and re-rendering the block (as {{ block.super }} does) keeps one source for each.
    """
    # Safe: the block's variables were escaped as it rendered.
    return mark_safe(" ".join(BlockNode(name, NodeList()).render(context).split()))


@register.inclusion_tag("seo/meta.html", takes_context=True)
def seo_meta(context, og_type="website", canonical=None, robots=""):
    """Canonical link, robots rule, Open Graph and Twitter card tags of an indexable page.

    `canonical` is a path (default: this page's, without its query string); pages that must stay out of
    the index and have no canonical address (errors, private reports) simply do not call this tag.
    """
    request = context["request"]
    canonical_url = request.build_absolute_uri(canonical or request.path)
    return {
        "canonical": canonical_url,
        "robots": robots,
        # A search result shared keeps its query; an indexable page is shared as its canonical address.
        "url": request.build_absolute_uri() if robots else canonical_url,
        "type": og_type,
        "title": block_text(context, "title"),
        "description": block_text(context, "meta_description"),
        "image": seo.share_image_url(request),
        "site_name": seo.SITE_NAME,
    }


@register.inclusion_tag("seo/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, *trail):
    """The visible breadcrumb trail and its BreadcrumbList: `path, name` pairs after Home, then the name of
    the current page (whose address is its path). On the home page alone, only the BreadcrumbList.
    """
    request = context["request"]
    *pairs, current = trail or ["Home"]
    crumbs = [("Home", reverse("guides:home"))] if trail else []
    crumbs += [(name, path) for path, name in zip(pairs[::2], pairs[1::2], strict=True)]
    crumbs.append((current, request.path))
    return {"crumbs": crumbs, "structured_data": seo.breadcrumb_list(request, crumbs)}


@register.inclusion_tag("seo/share.html", takes_context=True)
def share_links(context, title):
    """E-mail link for everyone; copy and native share buttons that static/js/share.js reveals where they work."""
    request = context["request"]
    return {"title": title, "url": request.build_absolute_uri(request.path)}
