"""Run by tests/courses/test_search_freshness.py as a separate process: writes courses and applies the change
log to the shared index as it goes, the way a web worker of the same host does."""

import os
import sys

import django

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerguide.settings")
django.setup()

from courses import search_engine, search_index  # noqa: E402
from courses.models import Course  # noqa: E402

name, count = sys.argv[1], int(sys.argv[2])
for n in range(count):
    Course.objects.create(
        title=f"{name} course {n}", slug=f"{name}-{n}", url="https://example.com/", external_id=f"{name}-{n}"
    )
    search_index.live().searcher()  # apply what is pending, racing the other writer for the lock
print(len(search_engine.ranked_ids(name)))
