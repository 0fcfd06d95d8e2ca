"""Full-text search over the catalog: PostgreSQL tsvector + GIN, or SQLite FTS5, behind one function.

Learners' text is never handed to a query parser as is: it is cut into words, topic synonyms are
expanded (golang → Go), and each backend gets a query built from quoted words, so no input can
make the database raise a syntax error.
"""

import difflib
import functools
import json
import re
import unicodedata

from django.apps import apps
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections, transaction
from django.db.models import Expression, F, GeneratedField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_SYNONYM_WORDS = 3
WORD = re.compile(r"[^\W_][\w+#.'-]*")

# One group per word or phrase of the query: the words as typed, or any synonym of the same topic.
Group = list[str]


def tokenize(text: str) -> list[str]:
    """Lower-cased words of `text` without NULs or stray punctuation."""
    return [word.strip(".'-") for word in WORD.findall((text or "").replace("\x00", " ").lower())]


def words(text: str) -> list[str]:
    """A learner's query as words: the first MAX_QUERY_CHARS characters, at most MAX_TERMS words."""
    return tokenize((text or "")[:MAX_QUERY_CHARS])[:MAX_TERMS]


def groups(text: str) -> list[Group]:
    """Words of `text` grouped with their alternatives: "golang api" → [["golang", "go"], ["api", "apis"]]."""
    Topic = apps.get_model("courses", "Topic")
    synonyms = Topic.objects.synonym_map()
    terms = words(text)
    result, index = [], 0
    while index < len(terms):
        # Longest phrase first, so "spring boot" is read as one synonym before "spring".
        for size in range(min(MAX_SYNONYM_WORDS, len(terms) - index), 0, -1):
            phrase = " ".join(terms[index : index + size])
            if phrase in synonyms or size == 1:
                alternatives = [phrase]
                topic = synonyms.get(phrase)
                if topic and topic.lower() != phrase:
                    alternatives.append(topic.lower())
                result.append(alternatives)
                index += size
                break
    return result


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


def id_list(ids: list[int], *, using: str) -> RawSQL:
    """A subquery of `ids` as one parameter (an array, a JSON list): a broad search's ids, whatever their number."""
    if connections[using].vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(list(ids))])


def position_in(ids: list[int], *, using: str) -> RawSQL:
    """Each course's place in `ids` (1-based character offset, increasing with the place): the engine's rank."""
    listed = "," + ",".join(str(pk) for pk in ids) + ","
    if connections[using].vendor == "postgresql":
        return RawSQL("strpos(%s, ',' || courses_course.id::text || ',')", [listed])
    return RawSQL("instr(%s, ',' || courses_course.id || ',')", [listed])


def full_text(queryset, text: str, *, ranked: bool):
    """Real matches for `text`, best first if `ranked` (see CourseQuerySet.search)."""
    query_groups = groups(text)
    if not query_groups:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        return _postgresql(queryset, query_groups, ranked)
    return _sqlite(queryset, query_groups, ranked)


def _postgresql(queryset, query_groups: list[Group], ranked: bool):
    # websearch_to_tsquery never raises on odd input; the last word also matches as a prefix
    # ("djan" → django) so results appear while a learner is still typing.
    query = None
    for position, alternatives in enumerate(query_groups):
        group = None
        for alternative in alternatives:
            option = SearchQuery(alternative, search_type="websearch", config="english")
            group = option if group is None else group | option
        if position == len(query_groups) - 1 and re.fullmatch(r"[a-z0-9]{3,}", alternatives[0]):
            group |= SearchQuery(f"{alternatives[0]}:*", search_type="raw", config="simple")
        query = group if query is None else query & group
    matches = queryset.filter(search_document=query)
    if not ranked:
        return matches
    return matches.annotate(rank=SearchRank(F("search_document"), query)).order_by("-rank", "title", "pk")


def fts5_query(query_groups: list[Group]) -> str:
    """An FTS5 MATCH expression of quoted phrases: any alternative in each group, every group required."""

    def quoted(phrase: str) -> str:
        return '"' + phrase.replace('"', '""') + '"'

    clauses = []
    for position, alternatives in enumerate(query_groups):
        options = [quoted(alternative) for alternative in alternatives]
        if position == len(query_groups) - 1 and re.fullmatch(r"[a-z0-9]{3,}", alternatives[0]):
            options.append(quoted(alternatives[0]) + "*")
        clauses.append("(" + " OR ".join(options) + ")")
    return " AND ".join(clauses)


def _sqlite(queryset, query_groups: list[Group], ranked: bool):
    match = fts5_query(query_groups)
    # Filter through a subquery that runs the MATCH once. Joined to the FTS table instead, SQLite may
    # loop over courses by another index and re-run the MATCH per row: seconds instead of milliseconds.
    table = queryset.model._meta.db_table
    matching_ids = RawSQL(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s", [match])
    matches = queryset.filter(pk__in=matching_ids)
    if not ranked:
        return matches
    # Ranking needs the join; ordered by FTS5's rank (bm25 with the weights set in migration 0002:
    # title, keywords, description), SQLite drives the loop from the FTS table, which is fast.
    return (
        matches.filter(search_index__document=match)
        .annotate(rank=-F("search_index__rank"))
        .order_by("-rank", "title", "pk")
    )


def suggestion(text: str) -> str | None:
    """A respelling of `text` from the catalog's own vocabulary ("pyhton" → "python"), or None."""
    SearchTerm = apps.get_model("courses", "SearchTerm")
    terms = words(text)
    known = set(SearchTerm.objects.filter(word__in=terms).values_list("word", flat=True))
    corrected, changed = [], False
    for term in terms:
        replacement = term
        if term not in known and len(term) >= 3:
            replacement = _closest(SearchTerm, term) or term
        changed |= replacement != term
        corrected.append(replacement)
    return " ".join(corrected) if changed else None


def _closest(SearchTerm, term: str) -> str | None:
    connection = connections[SearchTerm.objects.db]
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        # Typos that swap letters ("pyhton") score about 0.27, under pg_trgm's default 0.3 cut-off.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET LOCAL pg_trgm.similarity_threshold = 0.2")
            return (
                SearchTerm.objects.filter(word__trigram_similar=term)
                .annotate(similarity=TrigramSimilarity("word", term))
                .order_by("-similarity", "-frequency")
                .values_list("word", flat=True)
                .first()
            )
    # SQLite: a narrow candidate list (same first letter, similar length), then difflib.
    candidates = SearchTerm.objects.filter(
        word__startswith=term[0], length__gte=len(term) - 2, length__lte=len(term) + 2
    ).order_by("-frequency")
    close = difflib.get_close_matches(term, list(candidates.values_list("word", flat=True)[:5000]), n=1, cutoff=0.75)
    return close[0] if close else None


# -- keeping the SQLite index's triggers ----------------------------------------------------------------

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


# Title order as a reader expects it: "apple", "Banana", "éclair", "Élan", "Zeta". PostgreSQL's ICU root
# collation ranks letters before case and accents; SQLite gets the same rule from a Python collation that
# courses.apps registers on each connection. Neither needs a migration or an extension.
POSTGRESQL_TITLE_COLLATION = "und-x-icu"
SQLITE_TITLE_COLLATION = "careerguide_title"


def title_order(using: str):
    """An ordering expression for Course.title that ignores case and accents, for the backend of `using`."""
    vendor = connections[using].vendor
    if vendor == "postgresql":
        return Collate(F("title"), POSTGRESQL_TITLE_COLLATION).asc()
    if vendor == "sqlite":
        return Collate(F("title"), SQLITE_TITLE_COLLATION).asc()
    return F("title").asc()


@functools.lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def compare_titles(left: str, right: str) -> int:
    """Letters first, then case and accents as a tie-break, so the order is total and stable."""
    a, b = (_fold(left), left), (_fold(right), right)
    return (a > b) - (a < b)


def register_sqlite_collation(sender, connection, **kwargs):
    """connection_created receiver: SQLite connections learn the title collation."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(SQLITE_TITLE_COLLATION, compare_titles)
