"""The full-text search that the tantivy index replaced (migration 0010 removes it), kept only because the
migrations that made and repaired it (0001, 0006) import these names. Nothing else uses them.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db.models import Expression, GeneratedField


class SearchDocument(Expression):
    """The weighted tsvector behind PostgreSQL search: title A; topics, authors, provider B; description C.

    SQLite keeps its index in an FTS5 table instead (migration 0002), so there the column is just NULL.
    """

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return "NULL", []

    def as_postgresql(self, compiler, connection):
        return (
            "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
            " || setweight(to_tsvector('english'::regconfig, coalesce(search_keywords, '')), 'B')"
            " || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')",
            [],
        )


class SearchDocumentField(GeneratedField):
    """Computed and stored by the database; never read back after a write (imports would pay for it)."""

    db_returning = False

    def __init__(self, **kwargs):
        kwargs.update(expression=SearchDocument(), output_field=SearchVectorField(), db_persist=True, editable=False)
        super().__init__(**kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key in ("expression", "output_field", "db_persist", "editable"):
            kwargs.pop(key, None)
        return name, path, args, kwargs


# The triggers that keep courses_course_fts current (first made by migration 0002). A migration that adds a
# column to courses_course makes SQLite rebuild the table, which drops them; `ensure_sqlite_index` puts them
# back after every migrate (CoursesConfig.ready) so no future migration has to remember.
SQLITE_TRIGGERS = {
    "courses_course_fts_insert": """
        CREATE TRIGGER IF NOT EXISTS courses_course_fts_insert AFTER INSERT ON courses_course BEGIN
            INSERT INTO courses_course_fts(rowid, title, search_keywords, description)
            VALUES (new.id, new.title, new.search_keywords, new.description);
        END
    """,
    "courses_course_fts_delete": """
        CREATE TRIGGER IF NOT EXISTS courses_course_fts_delete AFTER DELETE ON courses_course BEGIN
            INSERT INTO courses_course_fts(courses_course_fts, rowid, title, search_keywords, description)
            VALUES ('delete', old.id, old.title, old.search_keywords, old.description);
        END
    """,
    "courses_course_fts_update": """
        CREATE TRIGGER IF NOT EXISTS courses_course_fts_update
        AFTER UPDATE OF title, search_keywords, description ON courses_course
        BEGIN
            INSERT INTO courses_course_fts(courses_course_fts, rowid, title, search_keywords, description)
            VALUES ('delete', old.id, old.title, old.search_keywords, old.description);
            INSERT INTO courses_course_fts(rowid, title, search_keywords, description)
            VALUES (new.id, new.title, new.search_keywords, new.description);
        END
    """,
}


def ensure_sqlite_index(connection) -> bool:
    """Re-create any missing FTS trigger and rebuild the index from the table (rows may have changed while
    a trigger was missing). Returns whether anything was repaired. A no-op elsewhere than SQLite, and
    before the index table exists.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE name LIKE 'courses_course_fts%'")
        present = {name for _, name in cursor.fetchall()}
        if "courses_course_fts" not in present or set(SQLITE_TRIGGERS) <= present:
            return False
        for name, statement in SQLITE_TRIGGERS.items():
            if name not in present:
                cursor.execute(statement)
        cursor.execute("INSERT INTO courses_course_fts(courses_course_fts) VALUES ('rebuild')")
    return True
