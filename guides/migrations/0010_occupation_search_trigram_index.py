"""A trigram index for the explorer's search on PostgreSQL: Occupation.objects.search() tests each word with
LIKE '%word%' on the squashed titles; with pg_trgm's GIN index a rare word reads 40 rows, not all 1,016 (7.2 ms ->
1.6 ms for "ticket", bench/careers.py). pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may
create it. SQLite scans the 1,016 documents, fast enough without an index.
"""

from django.db import migrations

INDEX = "guides_occupation_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON guides_occupation USING gin (search_document gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("guides", "0009_occupations")]

    operations = [migrations.RunPython(create_index, drop_index)]
