"""Cost of choosing a guide's recommendations when nothing is cached: the one ranking query for all sections.

Compares the topic-match ranking (CourseQuerySet.best_ids_for_topic_sets, one query for every section) with the
per-topic best-rated ranking it replaced (one window over the topics' links). Read-only; run against a database
with the demo guide and a large catalog (`load_demo`, then `generate_catalog`).
Usage: DATABASE_URL=postgres://… .venv/bin/python bench/guide_recommendations.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerguide.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import F, Window  # noqa: E402
from django.db.models.functions import RowNumber  # noqa: E402

from courses.models import Course  # noqa: E402
from guides.models import Career  # noqa: E402

RUNS = 5
PER_SET = 16  # what the 9-section demo guide asks for: 3 per section plus room for the two-sections limit


def best_rated_per_topic(topic_ids, per_topic):
    """The replaced ranking: best rated per topic, title order without ratings."""
    links = (
        Course.topics.through.objects.filter(topic_id__in=topic_ids, course__in=Course.objects.published().values("pk"))
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=F("topic_id"),
                order_by=[F("course__rating").desc(nulls_last=True), F("course__rating_count").desc(), "course__title"],
            )
        )
        .filter(place__lte=per_topic)
        .values_list("topic_id", "course_id")
    )
    return list(links)


def median_ms(function):
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main():
    career = Career.objects.get(slug="back-end-engineer")
    topic_sets = [tuple(section.topics.values_list("pk", flat=True)) for section in career.sections.all()]
    topics = {topic for topics in topic_sets for topic in topics}
    links = Course.topics.through.objects.filter(topic_id__in=topics).count()
    print(f"database: {connection.vendor}; {Course.objects.count():,} items; {len(topic_sets)} sections, "
          f"{len(topics)} topics, {links:,} links of those topics; median of {RUNS} runs")  # fmt: skip
    new = median_ms(lambda: Course.objects.published().best_ids_for_topic_sets(topic_sets, per_set=PER_SET))
    old = median_ms(lambda: best_rated_per_topic(topics, 3))
    print(f"topic-match ranking, all sections in one query: {new:8.1f} ms")
    print(f"replaced best-rated-per-topic ranking:          {old:8.1f} ms")


if __name__ == "__main__":
    main()
