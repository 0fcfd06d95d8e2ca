"""Whole-page cache for anonymous learners, fresh the moment anything on the pages changes.

Views opt in with @cache_public_page; PageCacheMiddleware stores their anonymous responses and serves
them. It sits high in MIDDLEWARE, so a hit skips URL resolution, the view and every middleware below it
(sessions, CSRF, auth, messages and the rest): the headers those add, such as the Content-Security-Policy,
were stored with the page. Pages are stored as they leave GZipMiddleware, so a page is compressed once,
not on every hit, and whether the browser takes gzip is part of the key.

A cached page is stored under a *page version*: any save or delete of content a public page shows
(guides, catalog, offers) sets a new one, so an editor's change is public at once and nothing needs
to know which pages it touched. Requests with a session cookie (editors, staff) bypass the cache in
both directions: they never get a cached page and never store one. Learners' browsers revalidate
with the ETag and get a 304 when nothing changed (ConditionalGetMiddleware).
"""

import functools
import hashlib
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag

from careerguide import cache_versions

VERSION_KEY = "pages:version"
PAGE_TIMEOUT = 10 * 60  # a backstop: a new version is what retires pages
# Headers that choose what a view renders (htmx asks for a fragment), so they are part of the key.
VARYING_HEADERS = ("HX-Request", "HX-History-Restore-Request")
ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # as GZipMiddleware decides


def pages_changed(**_signal_kwargs) -> None:
    """Retire every cached page. Also a signal receiver, hence the ignored keyword arguments."""
    cache_versions.replace(VERSION_KEY)


def cache_public_page(view=None, *, only_if=lambda request: True):
    """Let PageCacheMiddleware keep `view`'s responses to anonymous GET and HEAD requests (those `only_if`
    accepts) and serve them to the next learners; responses to signed-in users are marked private.
    Use as @cache_public_page or cache_public_page(view, only_if=…).
    """
    if view is None:
        return lambda view: cache_public_page(view, only_if=only_if)

    @functools.wraps(view)
    def public_page_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if _signed_in(request):
            patch_cache_control(response, private=True)  # never to sit in a shared cache
        elif request.method in ("GET", "HEAD") and only_if(request) and _cacheable(response):
            if hasattr(response, "render"):
                response.render()  # a TemplateResponse (the sitemaps): the ETag needs the content
            set_response_etag(response)
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
            patch_vary_headers(response, ["Cookie"])
            response.public_page = True
        return response

    return public_page_view


class PageCacheMiddleware:
    """Serves stored public pages to anonymous GET and HEAD requests, and stores the ones views marked.

    Place it after WhiteNoise (static files never reach it) and before GZipMiddleware and everything that
    adds headers or cookies (see the module's docstring).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or _signed_in(request):
            return self.get_response(request)
        digest = _digest(request)
        version, response = cache_versions.current_entry(VERSION_KEY, lambda version: _key(version, digest))
        if response is None:
            response = self.get_response(request)
            # Checked again: a middleware below may have set a cookie (CSRF) since the view marked it.
            if getattr(response, "public_page", False) and _cacheable(response):
                cache.set(_key(version, digest), response, PAGE_TIMEOUT)
        return response


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


def _signed_in(request) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _digest(request) -> str:
    parts = [request.scheme, request.get_host(), request.get_full_path(), request.method == "HEAD"]
    parts += [request.headers.get(name, "") for name in VARYING_HEADERS]
    parts.append(bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", ""))))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def _key(version: str, digest: str) -> str:
    return f"pages:{release()}:{version}:{digest}"


@functools.cache
def release() -> str:
    """A digest of what decides a page's bytes besides the data: the project's code and templates, and the
    static files' hashed names. During a deploy old and new servers share the cache, and each serves only
    pages it stored itself: an old page may name static files the new release no longer has.
    """
    roots = [
        Path(settings.BASE_DIR) / "careerguide",
        *(Path(path) for engine in settings.TEMPLATES for path in engine["DIRS"]),
    ]
    roots += [Path(app.path) for app in apps.get_app_configs() if Path(app.path).parent == settings.BASE_DIR]
    files = sorted({path for root in roots for path in root.rglob("*") if path.suffix in {".py", ".html", ".txt"}})
    files.append(Path(settings.STATIC_ROOT) / "staticfiles.json")  # collectstatic's manifest, in production
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
