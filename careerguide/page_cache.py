"""Whole-page cache for anonymous learners, fresh the moment anything on the pages changes.

Views opt in with @cache_public_page; PageCacheMiddleware stores their anonymous responses and serves
them. It sits high in MIDDLEWARE, so a hit skips URL resolution, the view and every middleware below it
(sessions, CSRF, auth, messages and the rest): the headers those add, such as the Content-Security-Policy,
were stored with the page. Pages are stored as they leave GZipMiddleware, so a page is compressed once,
not on every hit, and whether the browser takes gzip is part of the key.

A cached page is stored under a *page version*: any save or delete of content a public page shows
(guides, catalog, offers) sets a new one, so an editor's change is public at once and nothing needs
to know which pages it touched. Requests with a live signed-in session (editors, staff) bypass the
cache in both directions: they never get a cached page and never store one. Learners' browsers
revalidate with the ETag and get a 304 when nothing changed (ConditionalGetMiddleware).

What anonymous requests can make the server store is bounded: a page is stored only when its query
holds nothing but the parameters its view declares, with values the view accepted as they are (the
catalog also asks for a bounded search: see courses.views). Anything else is answered, rendered
afresh, and forgotten. Keys ignore the order of parameters. And each client may have at most
PAGE_RENDER_RATE pages rendered for it (cache misses); past that it gets a 429 until the minute is over.
"""

import functools
import hashlib
import re
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import DatabaseError
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag
from django_ratelimit.core import is_ratelimited

from careerguide import cache_versions

VERSION_KEY = "pages:version"
PAGE_TIMEOUT = 10 * 60  # a backstop: a new version is what retires pages
# Headers that choose what a view renders (htmx asks for a fragment), so they are part of the key.
VARYING_HEADERS = ("HX-Request", "HX-History-Restore-Request")
ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # as GZipMiddleware decides


def pages_changed(**_signal_kwargs) -> None:
    """Retire every cached page. Also a signal receiver, hence the ignored keyword arguments."""
    cache_versions.replace(VERSION_KEY)


def cache_public_page(view=None, *, params=(), only_if=lambda request: True):
    """Let PageCacheMiddleware keep `view`'s responses to anonymous GET and HEAD requests whose query holds
    only `params` (and that `only_if` accepts), and serve them to the next learners; responses to signed-in
    users are marked private. Use as @cache_public_page or cache_public_page(view, params=…, only_if=…).
    """
    if view is None:
        return lambda view: cache_public_page(view, params=params, only_if=only_if)
    params = frozenset(params)

    @functools.wraps(view)
    def public_page_view(request, *args, **kwargs):
        if request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True)  # never to sit in a shared cache
            return response
        if request.method in ("GET", "HEAD") and _over_render_budget(request):
            from careerguide.views import rate_limited

            return rate_limited(request, None)
        response = view(request, *args, **kwargs)
        if (
            request.method in ("GET", "HEAD")
            and params.issuperset(request.GET)
            and getattr(response, "page_cache_bounded", True)
            and only_if(request)
            and _cacheable(response)
        ):
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
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        digest = _digest(request)
        version, response = cache_versions.current_entry(VERSION_KEY, lambda version: _key(version, digest))
        if response is not None and _signed_in(request):
            response = None  # staff see the page as it is now, and store nothing (the view marks it private)
        if response is None:
            response = self.get_response(request)
            # Checked again: a middleware below may have set a cookie (CSRF) since the view marked it.
            if getattr(response, "public_page", False) and _cacheable(response):
                cache.set(_key(version, digest), response, PAGE_TIMEOUT)
        return response


def keep_only_if(response, bounded: bool):
    """For a view whose query parameters take unbounded values (free text, slugs): store its response only
    when `bounded` says this query is one of a bounded set.
    """
    response.page_cache_bounded = bounded
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
    """Whether a request that has a cached page waiting carries a live session of a signed-in user, before
    the session middleware has run. A session cookie alone is not enough: a made-up one would let anyone skip
    the cache and have every page rendered. One read of the session store (SESSION_ENGINE).
    """
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return False
    try:
        return SESSION_KEY in import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    except DatabaseError:  # the database is away: serve what the cache has, as to anyone
        return False


def _over_render_budget(request) -> bool:
    """Whether this client has had PAGE_RENDER_RATE pages rendered already: each costs real work."""
    return is_ratelimited(request, group="page-render", key="ip", rate=settings.PAGE_RENDER_RATE, increment=True)


def query_pairs(request) -> list[tuple[str, str]]:
    """The query's (name, value) pairs without empty values, in one order whatever order they came in."""
    return sorted((name, value) for name, values in request.GET.lists() for value in values if value)


def _digest(request) -> str:
    query = query_pairs(request) if request.META.get("QUERY_STRING") else []
    parts = [request.scheme, request.get_host(), request.path, query, request.method == "HEAD"]
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
