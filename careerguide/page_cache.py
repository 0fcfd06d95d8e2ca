"""Whole-page cache for anonymous learners, fresh the moment anything on the pages changes.

A cached page is stored under a *page version*: any save or delete of content a public page shows
(guides, catalog, offers) sets a new one, so an editor's change is public at once and nothing needs
to know which pages it touched. Requests with a session cookie (editors, staff) bypass the cache in
both directions: they never get a cached page and never store one. Learners' browsers revalidate
with the ETag and get a 304 when nothing changed (ConditionalGetMiddleware).
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag

from careerguide import cache_versions

VERSION_KEY = "pages:version"
PAGE_TIMEOUT = 10 * 60  # a backstop: a new version is what retires pages
# Headers that choose what a view renders (htmx asks for a fragment), so they are part of the key.
VARYING_HEADERS = ("HX-Request", "HX-History-Restore-Request")


def pages_changed(**_signal_kwargs) -> None:
    """Retire every cached page. Also a signal receiver, hence the ignored keyword arguments."""
    cache_versions.replace(VERSION_KEY)


def cache_public_page(view=None, *, only_if=lambda request: True):
    """Serve `view` from the cache for anonymous GET and HEAD requests (those `only_if` accepts);
    render it normally for everyone else. Use as @cache_public_page or cache_public_page(view, only_if=…).
    """
    if view is None:
        return lambda view: cache_public_page(view, only_if=only_if)

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES
        if request.method not in ("GET", "HEAD") or signed_in or not only_if(request):
            response = view(request, *args, **kwargs)
            if signed_in:
                patch_cache_control(response, private=True)  # never to sit in a shared cache
            return response
        digest = _digest(request)
        version, response = cache_versions.current_entry(VERSION_KEY, lambda version: _key(version, digest))
        if response is None:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()  # a TemplateResponse (the sitemaps): the content must exist to be stored
            if _cacheable(response):
                set_response_etag(response)
                patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
                patch_vary_headers(response, ["Cookie"])
                cache.set(_key(version, digest), response, PAGE_TIMEOUT)
        return response

    return cached_view


def first_pages(request) -> bool:
    """Catalog listings worth keeping whole: the first few pages, which most learners never leave."""
    page = request.GET.get("page", "1")
    return page.isdigit() and int(page) <= 3


def _cacheable(response) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


def _digest(request) -> str:
    parts = [request.scheme, request.get_host(), request.get_full_path(), request.method == "HEAD"]
    parts += [request.headers.get(name, "") for name in VARYING_HEADERS]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def _key(version: str, digest: str) -> str:
    return f"pages:{version}:{digest}"
