"""The title sort now comes from the search index (courses.search_index sort keys), so the PostgreSQL index on the
collated title that migration 0008 made for the database's own title sort serves no query: it only costs every
write to the catalog. Reversible."""

from django.db import migrations


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS courses_course_title_reader_order")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'CREATE INDEX IF NOT EXISTS courses_course_title_reader_order ON courses_course ((title COLLATE "und-x-icu"), id)'
        )


class Migration(migrations.Migration):
    dependencies = [("courses", "0010_remove_database_full_text_search")]

    operations = [migrations.RunPython(drop_index, create_index)]
