"""
careerguide settings: one module, configured by the environment.

Every variable has a safe development default except DJANGO_SECRET_KEY, which
production (DJANGO_DEBUG=0) must provide.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # git-ignored: the SQLite database and other local state


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; a typo fails loudly rather than silently meaning "no"."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_ratelimit",
    "django.contrib.postgres",  # the early migrations' tsvector field and trigram extension; inert on SQLite
    "django_htmx",
    # The partials tag library is a template builtin (below), as it will be in Django 6 core.
    "template_partials.apps.SimpleAppConfig",
    "csp",
    "simple_history",
    "django_q",
    "guides",
    "courses",
]

MIDDLEWARE = [
    "careerguide.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous learners' pages, stored with the headers the middleware below adds (careerguide/page_cache.py).
    "careerguide.page_cache.PageCacheMiddleware",
    # Below whitenoise, which sends static files precompressed; pages shrink ~70 %. Django masks CSRF tokens and
    # pads the gzip header per response against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "careerguide.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # After authentication and messages: a one-time password opens only the password change (create_editor).
    "guides.middleware.OneTimePasswordMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "careerguide.urls"
WSGI_APPLICATION = "careerguide.wsgi.application"

_template_loaders = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["template_partials.templatetags.partials"],
            # The partials loader lets a view render "page.html#fragment".
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [("django.template.loaders.cached.Loader", _template_loaders)],
                )
            ],
        },
    }
]

# DATABASE_URL unset (or empty, as `DATABASE_URL= make run` leaves it) means a zero-setup SQLite file; production
# sets a PostgreSQL URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'careerguide.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while the runserver or an import writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A PostgreSQL that stops answering (not refusing) must cost a web request about a second, never the worker:
    # careerguide/database/base.py bounds every wait of a request (connect, health check, query, commit) to
    # DATABASE_QUERY_TIMEOUT seconds, has the server cancel slower statements a little sooner, then skips the
    # database for DATABASE_RETRY_AFTER seconds in that process. Commands and migrations are not cut. Options
    # given in DATABASE_URL (?connect_timeout=…) win.
    DATABASES["default"]["ENGINE"] = "careerguide.database"
    DATABASES["default"]["OPTIONS"] = {
        # Seconds to open a connection outside a request (libpq's minimum is 2); within one, the query timeout.
        "connect_timeout": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "2")),
        # A server or route that goes away silently: probe an idle connection after 10 s, drop it after 3 missed
        # probes; drop it when sent data stays unacknowledged for 5 s. A healthy server's kernel acknowledges at
        # once, however long its query runs, so neither cuts a long command.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 5000,
        # Web requests only; 0 turns the deadline and the server-side statement_timeout off.
        "query_timeout": float(os.environ.get("DATABASE_QUERY_TIMEOUT", "1")),
        "retry_after": float(os.environ.get("DATABASE_RETRY_AFTER", "3")),
        # Known slow statements whose results are cached (careerguide.database.heavy_queries): facet counts of a
        # broad search, a guide's recommendation ranking at 150,000 items.
        "heavy_query_timeout": float(os.environ.get("DATABASE_HEAVY_QUERY_TIMEOUT", "8")),
        **DATABASES["default"].get("OPTIONS", {}),
    }

# REDIS_URL unset means a per-process memory cache: fine for `make run`, but every process then has its own
# copy, so production (several gunicorn workers) sets REDIS_URL to share one cache and its invalidations.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "careerguide.cache_backends.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "careerguide",
            "TIMEOUT": 3600,
            # Every anonymous request reads the page cache: a Redis that stops answering (rather than refusing)
            # must cost at most a second a call, not hang the worker until gunicorn kills it (the cache fails open).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    # Sessions are read on every signed-in request, and by the page cache to tell staff from a made-up cookie.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}}

# Partner-link clicks wait here while the database is away (courses/tracking.py); must survive restarts.
CLICK_SPOOL_DIR = Path(os.environ.get("CLICK_SPOOL_DIR", VAR_DIR / "click-spool"))
# Cache invalidations that Redis could not take wait here until one succeeds (careerguide/cache_versions.py).
CACHE_VERSION_MARKERS_DIR = Path(os.environ.get("CACHE_VERSION_MARKERS_DIR", VAR_DIR / "cache-version-markers"))

# The catalog's search index (tantivy), one per host, kept current from the database's change log
# (courses/search_index.py). Rebuilt by itself when missing; `manage.py search_index rebuild` switches atomically.
SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR", VAR_DIR / "search-index"))
# How old a worker's view of the change log may be before a search looks again: every worker is current
# within about twice this.
SEARCH_FRESHNESS_SECONDS = float(os.environ.get("SEARCH_FRESHNESS_SECONDS", "1.0"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# English only: without translation machinery every template variable and date resolves faster (~8 % of an
# uncached guide render, bench/README.md). The admin stays in English.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # also makes var/ for SQLite; whitenoise warns if it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Strict CSP everywhere, development included, so a violation shows up before it ships.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Production: HTTPS only. HSTS is a year with subdomains unless DJANGO_HSTS_SECONDS says otherwise (0 for
# `make serve` on plain http).
# The reverse proxies whose forwarded headers count: comma-separated addresses or networks, none by default.
# Only a request whose peer is one of them may name the client (X-Forwarded-For, read by client_ip in
# careerguide/middleware.py) or say it came over HTTPS (X-Forwarded-Proto, read by gunicorn, whose
# forwarded_allow_ips is this same list). SECURE_PROXY_SSL_HEADER stays unset on purpose: Django would take the
# header from any peer; gunicorn checks the peer and sets wsgi.url_scheme, which Django uses.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES", "")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy)  # strict, as gunicorn parses it: 10.0.0.1/24 is a typo for 10.0.0.0/24
    except ValueError:
        raise ImproperlyConfigured(
            f"DJANGO_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network (e.g. 10.0.0.2 or 10.0.0.0/24)."
        ) from None
if env_bool("DJANGO_BEHIND_PROXY", False):
    # It trusted X-Forwarded-For and X-Forwarded-Proto from any peer. Silently ignoring it would turn a proxied
    # site into a redirect loop, so say what to set instead.
    raise ImproperlyConfigured("DJANGO_BEHIND_PROXY is gone: set DJANGO_TRUSTED_PROXIES to your proxy's address(es).")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True  # nothing reads it from JavaScript: htmx only sends GETs
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS >= 31_536_000
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

LOGIN_URL = "admin:login"
# The admin's sign-in is the only one: an unsafe or missing `next` lands on its index, not /accounts/profile/.
LOGIN_REDIRECT_URL = "admin:index"

# Editors see who changed what; the admin's history view reverts a change for those who may change the object
# (careerguide/admin.py HistoryAdmin).
SIMPLE_HISTORY_REVERT_DISABLED = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "careerguide.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "careerguide.logging.JsonFormatter"},
        "plain": {
            "()": "careerguide.logging.PlainFormatter",
            "format": "%(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "plain" if DEBUG else "json",
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"courses": {"level": "INFO"}},
}

# Admin sign-in and partner postbacks are rate-limited per client (django-ratelimit), counted in the cache.
RATELIMIT_VIEW = "careerguide.views.rate_limited"
# Pages rendered for one anonymous client a minute (cache misses: careerguide/page_cache.py). Far above a
# learner's pace, typing in the catalog's search box included; it caps what one client makes the server compute.
PAGE_RENDER_RATE = os.environ.get("PAGE_RENDER_RATE", "120/m")
# Learning plans one client may make, and changes (ticks, additions, moves) it may send (guides/plan_views.py).
PLAN_CREATE_RATE = os.environ.get("PLAN_CREATE_RATE", "20/h")
PLAN_WRITE_RATE = os.environ.get("PLAN_WRITE_RATE", "120/m")
RATELIMIT_IP_META_KEY = "careerguide.middleware.client_ip"
SILENCED_SYSTEM_CHECKS = [
    # The per-process memory cache of `make run` limits per process, which is enough on one machine; production
    # sets REDIS_URL, and Django's own Redis cache (not on the library's list) increments atomically.
    "django_ratelimit.E003",
    "django_ratelimit.W001",
]

# Background jobs (careerguide/jobs.py): django-q2 with the database as its queue, so SQLite and PostgreSQL both
# work with nothing else to run, and a job a killed worker held is handed out again `retry` seconds after it was
# taken (a broker that deletes a job on delivery, such as its Redis one, would lose it). `retry` must exceed
# `timeout`, or a job still running would be handed to a second worker.
JOB_LOCK_DIR = Path(os.environ.get("JOB_LOCK_DIR", VAR_DIR / "job-locks"))  # on SQLite (careerguide/jobs.py)
TASK_TIMEOUT_SECONDS = int(os.environ.get("TASK_TIMEOUT_SECONDS", "1800"))
Q_CLUSTER = {
    "name": "careerguide",
    "label": "Background jobs",
    "orm": "default",
    "workers": int(os.environ.get("TASK_WORKERS", "2")),
    "timeout": TASK_TIMEOUT_SECONDS,
    "retry": int(os.environ.get("TASK_RETRY_SECONDS", str(TASK_TIMEOUT_SECONDS + 300))),
    "max_attempts": int(os.environ.get("TASK_MAX_ATTEMPTS", "3")),
    "ack_failures": False,  # a failed job stays queued and is tried again after `retry`, up to max_attempts
    "catch_up": False,  # after downtime, one run of a schedule, not one per missed period
    # Successful runs kept for the admin's history, per job (its function), so the minute job's runs never
    # push out a month of the daily ones; failures are all kept.
    "save_limit": 500,
    "save_limit_per": "func",
    "poll": float(os.environ.get("TASK_POLL_SECONDS", "1")),
    "log_level": os.environ.get("TASK_LOG_LEVEL", "WARNING"),
}

# Catalog feeds pulled by the worker (courses/feed_pulls.py). A pull that breaks any of these limits is a failed
# pull: nothing of it is retired. FEED_MAX_BYTES bounds the download after decompression (a gzip bomb too).
FEED_MAX_BYTES = int(os.environ.get("FEED_MAX_BYTES", str(2 * 1024**3)))
FEED_READ_TIMEOUT_SECONDS = float(os.environ.get("FEED_READ_TIMEOUT_SECONDS", "30"))  # silence between two reads
FEED_TOTAL_TIMEOUT_SECONDS = float(os.environ.get("FEED_TOTAL_TIMEOUT_SECONDS", "900"))  # the whole download
# Feeds on loopback or private addresses are refused (a partner manager must not reach the site's own Redis or
# database through the worker); tests and a local bench serve feeds on 127.0.0.1 and switch this on.
FEED_ALLOW_PRIVATE_ADDRESSES = env_bool("FEED_ALLOW_PRIVATE_ADDRESSES", False)
FEED_DOWNLOAD_DIR = Path(os.environ.get("FEED_DOWNLOAD_DIR", VAR_DIR / "feed-downloads"))
