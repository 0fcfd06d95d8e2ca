"""Full-text index for Course: GIN over the generated tsvector on PostgreSQL; an FTS5 table on SQLite.

Both are kept current by the database itself (a generated column; triggers), so bulk updates and raw
SQL never leave the index stale. SQLite rebuilds a table for most ALTERs and drops its triggers with
it: a later migration that alters courses_course must re-create them (tests/courses/test_search.py
catches a stale index).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# The weighted tsvector itself is Course.search_document, a generated column (courses.search.SearchDocument).
POSTGRESQL_FORWARD = [
    "CREATE INDEX course_search_document ON courses_course USING gin (search_document)",
    "CREATE INDEX searchterm_word_trgm ON courses_searchterm USING gin (word gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS searchterm_word_trgm",
    "DROP INDEX IF EXISTS course_search_document",
]

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE courses_course_fts USING fts5(
        title, search_keywords, description,
        content='courses_course', content_rowid='id', tokenize='porter unicode61'
    )
    """,
    """
    CREATE TRIGGER courses_course_fts_insert AFTER INSERT ON courses_course BEGIN
        INSERT INTO courses_course_fts(rowid, title, search_keywords, description)
        VALUES (new.id, new.title, new.search_keywords, new.description);
    END
    """,
    """
    CREATE TRIGGER courses_course_fts_delete AFTER DELETE ON courses_course BEGIN
        INSERT INTO courses_course_fts(courses_course_fts, rowid, title, search_keywords, description)
        VALUES ('delete', old.id, old.title, old.search_keywords, old.description);
    END
    """,
    """
    CREATE TRIGGER courses_course_fts_update AFTER UPDATE OF title, search_keywords, description ON courses_course
    BEGIN
        INSERT INTO courses_course_fts(courses_course_fts, rowid, title, search_keywords, description)
        VALUES ('delete', old.id, old.title, old.search_keywords, old.description);
        INSERT INTO courses_course_fts(rowid, title, search_keywords, description)
        VALUES (new.id, new.title, new.search_keywords, new.description);
    END
    """,
    # Weigh title over topics/authors/provider over description, like PostgreSQL's A/B/C.
    "INSERT INTO courses_course_fts(courses_course_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')",
    "INSERT INTO courses_course_fts(courses_course_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS courses_course_fts_update",
    "DROP TRIGGER IF EXISTS courses_course_fts_delete",
    "DROP TRIGGER IF EXISTS courses_course_fts_insert",
    "DROP TABLE IF EXISTS courses_course_fts",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_catalog")]

    operations = [
        TrigramExtension(),  # no-op outside PostgreSQL
        migrations.RunPython(
            run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
