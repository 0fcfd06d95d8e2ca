# careerguide production image: gunicorn serving Django, static files collected at build and served by whitenoise.
#   docker build -t careerguide .
#   docker run --rm --env-file prod.env careerguide python manage.py migrate --noinput   (once per release)
#   docker run -d -p 8000:8000 --env-file prod.env -v careerguide-spool:/app/var/click-spool \
#     -v careerguide-search:/app/var/search-index careerguide
# README.md, "Production / Docker", lists the environment.

# -- build: the pinned dependencies in a virtualenv; pip's work stays in this stage -------------------------------
FROM python:3.11.14-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /build
COPY pyproject.toml ./
# Only [project].dependencies (exact pins), not the test extras; the code runs from /app, so the project itself
# is not installed. Every dependency ships binary wheels: no compiler needed. The venv's own pip and setuptools
# (24 MB) are not needed at run time.
RUN python -m venv /opt/venv \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir --only-binary=:all: -r requirements.txt \
    && /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools

# -- final: Python, the virtualenv and the code; no pip cache, no build tools --------------------------------------
FROM python:3.11.14-slim-bookworm

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_DEBUG=0 \
    GUNICORN_BIND=0.0.0.0:8000

# A fixed UID, so volumes and Kubernetes' runAsNonRoot can rely on it; --no-log-init keeps a high UID from
# bloating /var/log/lastlog.
RUN useradd --system --no-log-init --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin careerguide

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY . .

# The code stays root-owned (read-only to the app). var/ is the app's: the click spool and the search index (mount
# a volume on each) and the SQLite fallback. The secret key below exists only for collectstatic and is not kept in the image.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q careerguide guides courses \
    && mkdir -p var/click-spool var/search-index \
    && chown careerguide:careerguide var var/click-spool var/search-index

USER 10001:10001
EXPOSE 8000

# Healthy only when gunicorn answers 200, i.e. the database is reachable. http.client, not urllib: a redirect must
# count as unhealthy, never be followed. The Host is the first allowed host (Django refuses others); /healthz is
# exempt from the SSL redirect (SECURE_REDIRECT_EXEMPT). Assumes the default port 8000.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import http.client, os; host = (os.environ.get('DJANGO_ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.').replace('*', 'localhost'); c = http.client.HTTPConnection('127.0.0.1', 8000, timeout=4); c.request('GET', '/healthz', headers={'Host': host, 'User-Agent': 'docker-healthcheck'}); raise SystemExit(c.getresponse().status != 200)"]

# Migrations are not run here: run them once per release as a separate command (see the top of this file).
CMD ["gunicorn", "-c", "careerguide/gunicorn.conf.py", "careerguide.wsgi"]
