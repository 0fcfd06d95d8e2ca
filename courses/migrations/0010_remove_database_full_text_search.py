"""The tantivy index (courses/search_index.py) replaces the database's full-text search: the GIN index over the
generated tsvector and the pg_trgm index of the vocabulary (PostgreSQL), the FTS5 table and its triggers
(SQLite), the vocabulary table behind "Did you mean" and the keywords column that fed both.

The indexes, table and triggers go first, so that when reversed they come back last, over the re-added
columns (the keywords come back empty; `import_catalog` fills them again for feed items).
"""

import importlib

from django.db import migrations

initial = importlib.import_module("courses.migrations.0002_full_text_search")

DROP = {"postgresql": initial.POSTGRESQL_BACKWARD, "sqlite": initial.SQLITE_BACKWARD}
CREATE = {"postgresql": initial.POSTGRESQL_FORWARD, "sqlite": initial.SQLITE_FORWARD}


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0009_search_change_log"),
    ]

    operations = [
        migrations.RunPython(initial.run(DROP), initial.run(CREATE)),
        migrations.DeleteModel(name="SearchTerm"),
        migrations.RemoveField(model_name="course", name="search_document"),
        migrations.RemoveField(model_name="course", name="search_keywords"),
        migrations.DeleteModel(name="CourseSearchIndex"),
    ]
