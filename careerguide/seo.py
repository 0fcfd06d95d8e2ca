"""What search engines and link previews read: canonical URLs, robots rules and schema.org data.

Site-wide presentation helpers; they read the objects they are given and import no app. Every URL they
return is absolute (built from the request), as canonical links, Open Graph and JSON-LD require.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

SITE_NAME = "careerguide"
SHARE_IMAGE = "img/share.png"  # 1200 by 630 pixels, the size Open Graph and large Twitter cards expect
NOINDEX = "noindex, follow"
# Like django.utils.html.json_script: nothing in the data can close the <script> element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld(data) -> SafeString:
    """`data` as a <script type="application/ld+json"> data block (browsers never run it, so CSP allows it)."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


def share_image_url(request) -> str:
    return request.build_absolute_uri(static(SHARE_IMAGE))


@dataclass(frozen=True)
class Indexing:
    canonical: str  # path and query, made absolute by the template tag
    robots: str = ""


def catalog_indexing(filters: dict, *, page_number: int, result_count: int) -> Indexing:
    """How search engines should treat one catalog page (`filters` as CourseFilterForm.filters() cleans them).

    A search, an empty page or two or more facet values (within or across facets) would flood the index
    with near-duplicates: they are `noindex, follow` and point at /courses/. The plain list and a single
    facet value ("Go courses") are landing pages, canonical as they are; the page number is kept
    (page 1 has none) and the sort order is dropped, since it does not change what the page lists.
    """
    base = reverse("courses:list")
    chosen = []
    for name, value in filters.items():
        if name in ("q", "sort"):
            continue
        if isinstance(value, list | tuple):
            chosen += [(name, item) for item in value]
        elif value is True:
            chosen.append((name, "1"))
    if filters.get("q") or len(chosen) > 1 or not result_count:
        return Indexing(canonical=base, robots=NOINDEX)
    query = chosen + ([("page", page_number)] if page_number > 1 else [])
    return Indexing(canonical=f"{base}?{urlencode(query)}" if query else base)


def organization(request) -> dict:
    return {"@type": "Organization", "name": SITE_NAME, "url": request.build_absolute_uri(reverse("guides:home"))}


def website(request) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": SITE_NAME,
        "url": request.build_absolute_uri(reverse("guides:home")),
        "description": "Career guides written by people who have done the job, and the courses and books "
        "that teach it.",
    }


def breadcrumb_list(request, crumbs: list[tuple[str, str]]) -> dict:
    """BreadcrumbList for [(name, path), …], from the home page to the current page."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": request.build_absolute_uri(path)}
            for position, (name, path) in enumerate(crumbs, start=1)
        ],
    }


def item_list(request, *, name: str, items) -> dict:
    """ItemList of objects with get_absolute_url(), named by str()."""
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": name,
        "numberOfItems": len(items),
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": str(item),
                "url": request.build_absolute_uri(item.get_absolute_url()),
            }
            for position, item in enumerate(items, start=1)
        ],
    }


def career_guide(request, career) -> dict:
    """An Article about the Occupation: the guide is our writing, the occupation is what it describes."""
    url = request.build_absolute_uri(career.get_absolute_url())
    occupation = {"@type": "Occupation", "name": career.name, "description": career.summary}
    if alternative_titles := career.alternative_title_list():
        occupation["alternateName"] = alternative_titles
    sections = getattr(career, "visible_sections", [])
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": career.page_title(),
        "description": career.page_description(),
        "url": url,
        "mainEntityOfPage": url,
        "image": share_image_url(request),
        "dateModified": max([career.updated_at, *(section.updated_at for section in sections)]),
        "about": occupation,
        "author": organization(request),
        "publisher": organization(request),
    }


def occupation_facts(occupation) -> dict:
    """schema.org Occupation properties from an occupation's figures: SOC code, median pay, entry education."""
    data = {"occupationalCategory": occupation.code}
    if occupation.median_wage is not None:
        data["estimatedSalary"] = {
            "@type": "MonetaryAmountDistribution",
            "name": "median annual wage" + (" (at least)" if occupation.median_wage_top_coded else ""),
            "currency": "USD",
            "duration": "P1Y",
            "median": occupation.median_wage,
        }
        if occupation.wage_year:
            data["estimatedSalary"]["validFrom"] = f"{occupation.wage_year}-01-01"
    if occupation.entry_education:
        data["educationRequirements"] = occupation.get_entry_education_display()
    return data


def occupation(request, occupation) -> dict:
    """An Occupation page without a written guide: the figures are the page."""
    titles = [title.title for title in getattr(occupation, "alternate_titles", [])]
    data = {
        "@context": "https://schema.org",
        "@type": "Occupation",
        "name": occupation.title,
        "url": request.build_absolute_uri(occupation.get_absolute_url()),
        "description": occupation_description(occupation),
        **occupation_facts(occupation),
    }
    if titles:
        data["alternateName"] = titles
    return data


def occupation_description(occupation) -> str:
    """A meta description made from the facts, e.g. "Web Developers: median pay $90,930 a year (2024),
    7.5 % projected growth 2024-34, typical entry: bachelor's degree."
    """
    parts = []
    if occupation.median_wage is not None:
        at_least = "at least " if occupation.median_wage_top_coded else ""
        parts.append(f"median pay {at_least}${occupation.median_wage:,} a year ({occupation.wage_year})")
    if occupation.employment_change_percent is not None:
        parts.append(f"{occupation.employment_change_percent:+} % projected change {occupation.bls_release}")
    if occupation.entry_education:
        parts.append(f"typical entry: {occupation.get_entry_education_display().lower()}")
    facts = ", ".join(parts) or "interests, related careers and technologies"
    return f"{occupation.title}: {facts}. Interests, related careers, technologies and courses to learn them."


def course_or_book(request, course) -> dict:
    """A Course, or a Book, with its provider (publisher for books) and its listed price.

    Ratings come from the providers' feeds, not from our readers, so they are not marked up as reviews.
    """
    is_book = course.kind == "book"
    data = {
        "@context": "https://schema.org",
        "@type": "Book" if is_book else "Course",
        "name": course.title,
        "description": course.page_description(),
        "url": request.build_absolute_uri(course.get_absolute_url()),
        "sameAs": course.url,
        "inLanguage": course.language,
    }
    if course.provider_id:
        provider = {"@type": "Organization", "name": course.provider.name}
        if course.provider.website:
            provider["url"] = course.provider.website
        data["publisher" if is_book else "provider"] = provider
    if authors := course.author_list():
        data["author"] = [{"@type": "Person", "name": author} for author in authors]
    if is_book and course.isbn:
        data["isbn"] = course.isbn
    if not is_book and course.level != "unknown":
        data["educationalLevel"] = course.get_level_display()
    if course.price is not None:
        data["offers"] = {
            "@type": "Offer",
            "price": course.price,
            "priceCurrency": course.currency,
            "category": "Free" if course.is_free else "Paid",
            "url": course.url,
        }
    return data
