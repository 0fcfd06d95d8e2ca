# A first working image: the app under gunicorn, static files collected at build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY pyproject.toml README.md ./
COPY careerguide ./careerguide
COPY guides ./guides
COPY courses ./courses
RUN pip install .

COPY . .
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app careerguide \
    && chown -R careerguide /app/var

USER careerguide
EXPOSE 8000
ENV DJANGO_DEBUG=0
CMD ["gunicorn", "careerguide.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
