"""The catalog's search index on this host: a tantivy index of the published catalog under SEARCH_INDEX_DIR.

The database stays the truth. Every change a search can see writes a SearchChange row in its own transaction
(courses.signals, the importer); each host applies the rows after the last one it applied, so every worker is
current within about twice SEARCH_FRESHNESS_SECONDS and a host that was down catches up by itself. One process
writes at a time (a file lock beside the index); readers reload after each commit.

Layout of SEARCH_INDEX_DIR:
    current          symlink to the live generation; switched with one rename, so searches never see a half index
    gen-<stamp>/     a generation: tantivy's files plus cursor.json (the last change applied, and ids still open)
    write.lock       the writer lock (flock)

A missing or unreadable index is rebuilt from the database; `manage.py search_index rebuild` builds a new
generation beside the live one and switches to it.
"""

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tantivy
from django.conf import settings
from django.db import connection
from django.db.models import Max, Q

from courses import search

logger = logging.getLogger(__name__)

STEMMED = "careerguide_stemmed"  # our words, English-stemmed: what searches match
# Descriptions, the longest text, are cut into words by the engine itself with the same rule as
# courses.search.tokenize (a letter or digit, then letters, digits and + # . ' -, never ending in . ' -):
# a third of the build's time otherwise. Only the parts of joined words ("reilly" of "O'Reilly") are not added.
DESCRIPTION = "careerguide_description"
DESCRIPTION_WORD = r"[^\W_](?:[\w+#.'-]*[\w+#])?"
WORDS = "careerguide_words"  # our words as typed: typeahead prefixes and "Did you mean"
# Text fields searched, with their weight: title over topics, authors and provider over description.
TEXT_FIELDS = {"title": 10.0, "topics": 4.0, "authors": 4.0, "provider": 4.0, "description": 1.0}
BUILD_CHUNK = 5000
MAX_APPLY = 20_000  # more pending changes than this: a fresh build is quicker than applying them one by one
# A search applies at most this many pending changes, and never rebuilds because the index lags: an import writes
# a thousand changes a second, and a learner's request must not pay for catching up with them (a search that
# rebuilt the index took 28 s, bench/feeds.py). The importer and the hourly job catch up in full (catch_up).
SEARCH_APPLY_LIMIT = 2_000
HOLE_SECONDS = 600  # how long an id skipped in the change log may still appear (a transaction committing late)
LOCK_WAIT_SECONDS = 5.0
WRITER_HEAP = 64_000_000


def analyzer(*, stemmed: bool, tokenizer: tantivy.Tokenizer | None = None) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tokenizer or tantivy.Tokenizer.whitespace())
    if tokenizer is not None:
        builder = builder.filter(tantivy.Filter.lowercase())
    builder = builder.filter(tantivy.Filter.remove_long(64))
    if stemmed:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


STEMMER = analyzer(stemmed=True)


def index_words(text: str) -> str:
    """The words indexed for `text`, space-separated: the project's tokenizer (courses.search.tokenize), plus the
    parts of a word joined by punctuation, so "O'Reilly" is found by "reilly" and "node.js" by "node" ("c++"
    stays one word).
    """
    return _indexed(search.tokenize(text))


def _indexed(words: list[str]) -> str:
    """index_words() of text already cut into `words`."""
    parts = [part for word in words if not word.isalnum() for part in _parts(word)]
    return " ".join(words + parts) if parts else " ".join(words)


def _parts(word: str) -> list[str]:
    parts = PART.findall(word)
    return parts if len(parts) > 1 else []


PART = re.compile(r"[^\W_]+")


# -- sort keys ---------------------------------------------------------------------------------------------
# A sort is read from the engine by one u64 fast field per sort: the sort's own value in the high bits, the
# title's first letters (folded by courses.search.fold) in the low bits. A key never orders two
# items against the full rule (value, then folded title, then title, then id): where it cannot tell them apart
# it ties them, and courses.search_engine orders such ties by the next field (the title's letters, TITLE_CHUNKS),
# then by whole title. Every value the model allows fits its bits (a value cut to fit would tie items it orders).
# Each letter is one byte; a character that shares its byte with others (rare punctuation, other scripts) ends
# the letters, since what follows it could contradict its order.

SORT_KEYS = {"title": "sort_title", "rating": "sort_rating", "newest": "sort_newest", "price": "sort_price"}
TITLE_CHUNKS = ["title_1", "title_2", "title_3"]  # the folded title's letters 9-32, for ties
_EXACT = " !#&'()+,-./0123456789:?abcdefghijklmnopqrstuvwxyz"


def _letter_codes() -> tuple[dict, int]:
    table, code, shared = {}, 1, False  # 0 is "no more letters": before any letter
    for point in range(128):
        if chr(point) in _EXACT:
            table[point], shared = code, False
            code += 1
        else:
            if not shared:
                code, shared = code + 1, True
            table[point] = code - 1
    return table, code  # `code`: every character above U+007F


_CODES, _OTHER = _letter_codes()
_SHARED = re.compile("[^" + re.escape(_EXACT) + "]")
_TRANSLATE = {point: chr(code) for point, code in _CODES.items()}


def title_letters(title: str) -> bytes:
    """The folded title as one byte a letter, up to the first letter whose byte is shared (included)."""
    folded = search.fold(title)[: 8 + 8 * len(TITLE_CHUNKS)]
    shared = _SHARED.search(folded)
    if shared:
        code = _CODES.get(ord(shared.group()), _OTHER)
        return folded[: shared.start()].translate(_TRANSLATE).encode("latin-1") + bytes([code])
    return folded.translate(_TRANSLATE).encode("latin-1")


def title_hash(title: str) -> int:
    """Equal for equal titles only (64 bits): ties of repeated titles are told apart without reading them."""
    return int.from_bytes(hashlib.blake2b(title.encode(), digest_size=8).digest(), "big")


def _chunk(letters: bytes, start: int, size: int) -> int:
    return int.from_bytes(letters[start : start + size], "big")  # `letters` padded with zero bytes


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def microseconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // _MICROSECOND


def _key(value: int, bits: int, letters: bytes, *, exact: bool = True) -> int:
    """`value` (`bits` wide) then as many title letters as fit; no letters after a value cut to fit."""
    size = (64 - bits) // 8
    low = _chunk(letters, 0, size) if exact else 0
    return (value << (64 - bits)) | (low << (64 - bits - 8 * size))


def _fit(value: int, bits: int) -> tuple[int, bool]:
    top = (1 << bits) - 1
    return min(max(value, 0), top), 0 <= value <= top


def sort_keys(*, title, rating, rating_count, created, price) -> dict[str, int]:
    """Each sort's key and the title chunks for one item (see SORT_KEYS)."""
    letters = title_letters(title).ljust(8 + 8 * len(TITLE_CHUNKS), b"\0")
    keys = {"sort_title": _chunk(letters, 0, 8), "title_hash": title_hash(title)}
    for position, name in enumerate(TITLE_CHUNKS, start=1):
        keys[name] = _chunk(letters, 8 * position, 8)
    # Highest rated: rated first, then the rating (-9.99 to 9.99) down, then the number of ratings down.
    cents, cents_fit = _fit(2047 - (int(rating * 100) + 1000) if rating is not None else 0, 11)
    count, count_fit = _fit((1 << 31) - 1 - rating_count, 31)
    value = ((rating is None) << 42) | (cents << 31) | count
    keys["sort_rating"] = _key(value, 43, letters, exact=cents_fit and count_fit)
    # Newest: the creation time down, to the microsecond (±570 years around 1970).
    moment, moment_fit = _fit((1 << 56) - 1 - (microseconds(created) + (1 << 54)), 56)
    keys["sort_newest"] = _key(moment, 56, letters, exact=moment_fit)
    # Lowest price: priced first, then the price up, to the cent.
    amount, amount_fit = _fit(int(price * 100) if price is not None else 0, 39)
    keys["sort_price"] = _key(((price is None) << 39) | amount, 40, letters, exact=amount_fit)
    return keys


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_bytes_field("card", stored=True)  # {"title", "slug", "kind"}: what a typeahead suggestion shows
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=DESCRIPTION if name == "description" else STEMMED)
    builder.add_text_field("title_words", tokenizer_name=WORDS, index_option="freq")
    builder.add_text_field("vocabulary", tokenizer_name=WORDS, index_option="basic")
    for name in ("kind", "level", "language", "price_class"):
        builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_integer_field("provider_id", indexed=True, fast=True)
    builder.add_integer_field("topic_ids", indexed=True, fast=True)
    builder.add_boolean_field("certificate", indexed=True, fast=True)
    builder.add_float_field("rating", fast=True)
    builder.add_integer_field("rating_count", fast=True)
    builder.add_float_field("price", fast=True)
    builder.add_float_field("duration", fast=True)
    builder.add_integer_field("created", fast=True)  # microseconds since the epoch: the newest sort's exact value
    # One key per sort (courses.search_engine.sorted_ids), ascending, and the folded title's next letters.
    for name in [*SORT_KEYS.values(), *TITLE_CHUNKS, "title_hash"]:
        builder.add_unsigned_field(name, fast=True)  # ranges over fast fields need no terms
    return builder.build()


SCHEMA = build_schema()


def _register(index: tantivy.Index) -> tantivy.Index:
    index.register_tokenizer(STEMMED, STEMMER)
    index.register_tokenizer(DESCRIPTION, analyzer(stemmed=True, tokenizer=tantivy.Tokenizer.regex(DESCRIPTION_WORD)))
    index.register_tokenizer(WORDS, analyzer(stemmed=False))
    return index


# -- documents ---------------------------------------------------------------------------------------------

COURSE_COLUMNS = [
    "pk", "title", "slug", "kind", "authors", "description", "level", "language", "price", "certificate",
    "rating", "rating_count", "duration_hours", "created_at", "provider_id", "provider__name",
]  # fmt: skip


def _topic_texts(Topic) -> dict[int, tuple[str, str]]:
    """Each topic's name and synonyms as indexed (stemmed field) and as typed (vocabulary), worked out once."""
    texts = {}
    for pk, name, synonyms in Topic.objects.values_list("pk", "name", "synonyms"):
        text = f"{name} {synonyms.replace(',', ' ')}"
        texts[pk] = (index_words(text), " ".join(search.tokenize(text)))
    return texts


def documents(courses, topic_texts: dict) -> list[tuple[int, tantivy.Document]]:
    """(id, document) for each published course of the queryset `courses`, with its topics."""
    from courses.models import Course

    rows = list(courses.filter(published=True).values_list(*COURSE_COLUMNS))
    topics: dict[int, list[int]] = {}
    through = Course.topics.through.objects.filter(course_id__in=[row[0] for row in rows])
    for course_id, topic_id in through.values_list("course_id", "topic_id"):
        topics.setdefault(course_id, []).append(topic_id)
    result = []
    providers: dict[str, tuple[str, list[str]]] = {}  # a provider's words, cut once per batch (few providers)
    for (pk, title, slug, kind, authors, description, level, language, price, certificate, rating, rating_count,
         duration, created, provider_id, provider_name) in rows:  # fmt: skip
        topic_ids = topics.get(pk, [])
        known = [topic_texts[t] for t in topic_ids if t in topic_texts]
        # Each text is cut into words once: the indexed form and the typed form come from the same words.
        title_words, author_words = search.tokenize(title), search.tokenize(authors)
        if provider_name not in providers:
            provider_words = search.tokenize(provider_name or "")
            providers[provider_name] = (_indexed(provider_words), provider_words)
        provider_indexed, provider_words = providers[provider_name]
        doc = tantivy.Document()
        doc.add_integer("id", pk)
        doc.add_bytes("card", json.dumps({"title": title, "slug": slug, "kind": kind}).encode())
        doc.add_text("title", _indexed(title_words))
        doc.add_text("topics", " ".join(indexed for indexed, _ in known))
        doc.add_text("authors", _indexed(author_words))
        doc.add_text("provider", provider_indexed)
        doc.add_text("description", description.replace("\x00", " "))
        doc.add_text("title_words", " ".join(title_words))
        doc.add_text("vocabulary", " ".join([*(typed for _, typed in known), *author_words, *provider_words]))
        doc.add_text("kind", kind)
        doc.add_text("level", level)
        doc.add_text("language", language)
        doc.add_text("price_class", "unknown" if price is None else "free" if price == 0 else "paid")
        if provider_id:
            doc.add_integer("provider_id", provider_id)
        for topic_id in topic_ids:
            doc.add_integer("topic_ids", topic_id)
        doc.add_boolean("certificate", bool(certificate))
        if rating is not None:
            doc.add_float("rating", float(rating))
        doc.add_integer("rating_count", rating_count)
        if price is not None:
            doc.add_float("price", float(price))
        if duration is not None:
            doc.add_float("duration", float(duration))
        doc.add_integer("created", microseconds(created))
        keys = sort_keys(title=title, rating=rating, rating_count=rating_count, created=created, price=price)
        for name, key in keys.items():
            doc.add_unsigned(name, key)
        result.append((pk, doc))
    return result


# -- the directory, the lock and the cursor ---------------------------------------------------------------


def root() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


@contextlib.contextmanager
def writer_lock(*, wait: float = LOCK_WAIT_SECONDS):
    """The one writer of this host's index. Yields False if another process kept it for `wait` seconds."""
    root().mkdir(parents=True, exist_ok=True)
    with open(root() / "write.lock", "a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.01)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def live_generation() -> Path | None:
    link = root() / "current"
    try:
        return root() / os.readlink(link)
    except OSError:
        return None


@dataclass
class Cursor:
    """How far a generation has applied the change log: every id up to `last_id`, except the `holes` (ids
    skipped when read, {id: first seen, epoch seconds}) that a transaction still open may yet commit.
    """

    last_id: int = 0
    holes: dict[int, float] = field(default_factory=dict)
    built_at: float = 0.0
    applied_at: float = 0.0

    @classmethod
    def read(cls, generation: Path) -> "Cursor":
        data = json.loads((generation / "cursor.json").read_text())
        return cls(
            last_id=data["last_id"],
            holes={int(k): v for k, v in data.get("holes", {}).items()},
            built_at=data.get("built_at", 0.0),
            applied_at=data.get("applied_at", 0.0),
        )

    def write(self, generation: Path) -> None:
        temporary = generation / f"cursor.json.{os.getpid()}"
        temporary.write_text(
            json.dumps(
                {
                    "last_id": self.last_id,
                    "holes": {str(k): v for k, v in self.holes.items()},
                    "built_at": self.built_at,
                    "applied_at": self.applied_at,
                }
            )
        )
        os.replace(temporary, generation / "cursor.json")


# -- building -----------------------------------------------------------------------------------------------


def build() -> Path:
    """Build a new generation from the database beside the live one and switch to it atomically. Returns it.
    Searches keep answering from the old generation until the switch; the caller holds no lock (taken here).
    """
    with writer_lock(wait=600) as locked:
        if not locked:
            raise TimeoutError("another process kept the search index's writer lock for 10 minutes")
        return _build_locked()


def _build_locked() -> Path:
    from courses.models import Course, SearchChange, Topic

    started = time.time()
    generation = root() / f"gen-{time.time_ns()}-{os.getpid()}"
    generation.mkdir(parents=True)
    # The log's position first: a change committed while the rows are read is applied again afterwards.
    last_id = SearchChange.objects.aggregate(last=Max("id"))["last"] or 0
    index = _register(tantivy.Index(SCHEMA, path=str(generation), reuse=False))
    writer = index.writer(heap_size=WRITER_HEAP * 4, num_threads=2)  # indexes while Python reads on
    topic_texts = _topic_texts(Topic)
    published = Course.objects.filter(published=True).order_by("pk")
    low = 0
    while True:
        ids = list(published.filter(pk__gt=low).values_list("pk", flat=True)[:BUILD_CHUNK])
        if not ids:
            break
        for _, doc in documents(Course.objects.filter(pk__in=ids), topic_texts):
            writer.add_document(doc)
        low = ids[-1]
    writer.commit()
    writer.wait_merging_threads()
    Cursor(last_id=last_id, built_at=started, applied_at=time.time()).write(generation)
    _switch_to(generation)
    logger.info("search index built in %.1f s: %s", time.time() - started, generation.name)
    return generation


def _switch_to(generation: Path) -> None:
    previous = live_generation()
    temporary = root() / f"current.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    os.symlink(generation.name, temporary)
    os.replace(temporary, root() / "current")
    # Keep the generation just replaced: a process that opened it a moment ago may still be reading it.
    for old in root().glob("gen-*"):
        if old not in (generation, previous):
            shutil.rmtree(old, ignore_errors=True)


# -- applying the change log ------------------------------------------------------------------------------


def _pending(cursor: Cursor):
    from courses.models import SearchChange

    return SearchChange.objects.filter(Q(id__gt=cursor.last_id) | Q(id__in=list(cursor.holes))).order_by("id")


def apply_changes(index: tantivy.Index, generation: Path, *, at_most: int | None = None) -> int:
    """Apply the change log's new entries to `generation` (under the writer lock): all of them, or only the oldest
    `at_most`. Returns how many. All of them, when more than MAX_APPLY, raises _TooFarBehind: rebuild instead."""
    from courses.models import Course, SearchChange, Topic

    cursor = Cursor.read(generation)
    entries = list(_pending(cursor).values_list("id", "kind", "object_id")[: (at_most or MAX_APPLY) + 1])
    now = time.time()
    cursor.holes = {k: v for k, v in cursor.holes.items() if now - v < HOLE_SECONDS}
    if not entries:
        cursor.write(generation)
        return 0
    if at_most is not None:
        entries = entries[:at_most]  # ordered by id: every id up to the last one taken is applied or a hole
    elif len(entries) > MAX_APPLY:
        raise _TooFarBehind
    searcher = index.searcher()
    course_ids: set[int] = set()
    topics_changed = False
    for _, kind, object_id in entries:
        if kind == SearchChange.Kind.COURSE:
            course_ids.add(object_id)
        elif kind == SearchChange.Kind.TOPIC:
            topics_changed = True
            course_ids |= _ids_in_index(searcher, "topic_ids", object_id)
            course_ids |= set(
                Course.topics.through.objects.filter(topic_id=object_id).values_list("course_id", flat=True)
            )
        elif kind == SearchChange.Kind.PROVIDER:
            course_ids |= _ids_in_index(searcher, "provider_id", object_id)
            course_ids |= set(Course.objects.filter(provider_id=object_id).values_list("pk", flat=True))
        # A career changes no document: the career filter and its counts follow its topics at search time.
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    topic_texts = _topic_texts(Topic) if course_ids else {}
    ordered = sorted(course_ids)
    for start in range(0, len(ordered), BUILD_CHUNK):
        chunk = ordered[start : start + BUILD_CHUNK]
        for pk in chunk:
            writer.delete_documents_by_term("id", pk)
        for _, doc in documents(Course.objects.filter(pk__in=chunk), topic_texts):
            writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    seen = {entry_id for entry_id, _, _ in entries}
    for entry_id in seen:
        cursor.holes.pop(entry_id, None)
    newest = max(seen)
    if newest - cursor.last_id <= 2 * MAX_APPLY:  # a jump of the sequence itself leaves no transaction open
        for missing in range(cursor.last_id + 1, newest):
            if missing not in seen and len(cursor.holes) < 10_000:
                cursor.holes[missing] = now
    cursor.last_id = max(cursor.last_id, newest)
    cursor.applied_at = now
    cursor.write(generation)
    if topics_changed:
        logger.info("search index: topics changed, %d documents refreshed", len(course_ids))
    return len(entries)


class _TooFarBehind(Exception):
    pass


def _ids_in_index(searcher, field_name: str, value: int) -> set[int]:
    query = tantivy.Query.term_query(SCHEMA, field_name, value)
    count = searcher.search(query, limit=1).count
    if not count:
        return set()
    hits = searcher.search(query, limit=count).hits
    return set(searcher.fast_field_values("id", [address for _, address in hits]))


def _log_bounds() -> tuple[int, int | None]:
    """The change log's newest and oldest ids in one statement of two index lookups (an aggregate of both would
    make SQLite scan the table)."""
    from courses.models import SearchChange

    table = connection.ops.quote_name(SearchChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT MAX(id) FROM {table}), (SELECT MIN(id) FROM {table})")
        newest, oldest = cursor.fetchone()
    return newest or 0, oldest


# -- the live index, per process --------------------------------------------------------------------------


class LiveIndex:
    """This process's reader of the live generation: current within SEARCH_FRESHNESS_SECONDS, rebuilt when
    missing or unreadable. One per SEARCH_INDEX_DIR (tests give each their own).
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self.generation: Path | None = None
        self.index: tantivy.Index | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()
        # Changes when the index may have: what lookups cached beside it (names of topics, careers) key on.
        self.version: tuple = ()

    def searcher(self) -> tantivy.Searcher:
        """The live index's searcher, with at most SEARCH_APPLY_LIMIT pending changes applied first."""
        with self.lock:
            if time.monotonic() - self.checked_at >= settings.SEARCH_FRESHNESS_SECONDS or self.index is None:
                self._refresh(at_most=SEARCH_APPLY_LIMIT)
                self.checked_at = time.monotonic()
            try:
                return self.index.searcher()
            except (ValueError, OSError):
                self._rebuild(self.generation)
                return self.index.searcher()

    def catch_up(self) -> None:
        """Apply every pending change, or rebuild when that would be slower: for imports and jobs, not requests."""
        with self.lock:
            self._refresh(at_most=None)
            self.checked_at = time.monotonic()

    def is_current(self) -> bool:
        """Whether this host's index has applied every change the log holds now (one query): only then may a
        rendered page be kept in the shared page cache."""
        from courses.models import SearchChange

        self.searcher()
        newest = SearchChange.objects.aggregate(newest=Max("id"))["newest"] or 0
        generation = self.generation
        try:
            return generation is not None and Cursor.read(generation).last_id >= newest
        except (OSError, ValueError, KeyError):
            return False

    def current_version(self) -> tuple:
        """Changes whenever the index may have (a new generation, a change applied): a key for what is cached
        beside it. Applies pending changes first, like a search."""
        self.searcher()
        return self.version

    def _refresh(self, *, at_most: int | None) -> None:
        generation = live_generation()
        if generation is None or not (generation / "cursor.json").exists():
            self._rebuild()
            return
        if generation != self.generation or self.index is None:
            try:
                self.index = _register(tantivy.Index.open(str(generation)))
                self.index.searcher().num_docs  # noqa: B018  (opening reads the segments: a corrupt one fails here)
                if self.index.schema != SCHEMA:  # built by an older release: its fields are not the ones we ask for
                    raise ValueError("search index schema changed")
                self.generation = generation
            except (ValueError, OSError):
                logger.warning("search index unreadable or of an older schema, rebuilding: %s", generation.name)
                self._rebuild(generation)
                return
        self._catch_up(at_most)

    def _catch_up(self, at_most: int | None) -> None:
        try:
            cursor = Cursor.read(self.generation)
        except (OSError, ValueError, KeyError):
            self._rebuild(self.generation)
            return
        newest, oldest = _log_bounds()
        self.version = (str(self.generation), newest)
        if oldest is not None and oldest > cursor.last_id + 1 and cursor.last_id < newest:
            # Entries this generation never applied were pruned while the host was away: start afresh.
            self._rebuild(self.generation)
            return
        if newest <= cursor.last_id and not cursor.holes:
            self._reload()
            return
        with writer_lock() as locked:
            if locked:
                try:
                    apply_changes(self.index, self.generation, at_most=at_most)
                except _TooFarBehind:
                    _build_locked()
                    self.generation = None
                    self._refresh_after_build()
                    return
                except (ValueError, OSError):
                    logger.warning("search index unwritable, rebuilding: %s", self.generation.name)
                    _build_locked()
                    self._refresh_after_build()
                    return
        self._reload()

    def _reload(self) -> None:
        try:
            self.index.reload()
        except (ValueError, OSError):
            self._rebuild(self.generation)

    def _rebuild(self, bad: Path | None = None) -> None:
        """Build a new generation unless another process has just replaced the `bad` one (or the missing one)."""
        with writer_lock(wait=600) as locked:
            current = live_generation()
            if locked and (current is None or current == bad or not (current / "cursor.json").exists()):
                _build_locked()
        self._refresh_after_build()

    def _refresh_after_build(self) -> None:
        generation = live_generation()
        self.version = (str(generation), Cursor.read(generation).last_id)
        self.index = _register(tantivy.Index.open(str(generation)))
        self.generation = generation
        self.index.reload()


_live: dict[Path, LiveIndex] = {}
_live_lock = threading.Lock()


def live() -> LiveIndex:
    directory = root()
    with _live_lock:
        if directory not in _live:
            _live[directory] = LiveIndex(directory)
        return _live[directory]


CHANGE_RETENTION_DAYS = 7


def prune_changes(*, days: int = CHANGE_RETENTION_DAYS) -> int:
    """Forget change-log entries older than `days`. A host whose index is older than that (it was away) sees
    the gap and rebuilds instead of applying them. Returns how many were removed.
    """
    from datetime import timedelta

    from django.utils import timezone

    from courses.models import SearchChange

    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = SearchChange.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def status() -> dict:
    """What `manage.py search_index status` prints: documents in the database and the index, and the lag."""
    from courses.models import Course, SearchChange

    generation = live_generation()
    result = {"directory": str(root()), "generation": generation.name if generation else None}
    result["published_in_database"] = Course.objects.filter(published=True).count()
    newest = SearchChange.objects.aggregate(newest=Max("id"))["newest"] or 0
    if generation is None or not (generation / "cursor.json").exists():
        return {**result, "documents_in_index": None, "changes_behind": None}
    cursor = Cursor.read(generation)
    index = _register(tantivy.Index.open(str(generation)))
    behind = _pending(cursor)
    oldest = behind.values_list("created_at", flat=True).first()
    size = sum(path.stat().st_size for path in generation.iterdir() if path.is_file())
    return {
        **result,
        "documents_in_index": index.searcher().num_docs,
        "index_bytes": size,
        "last_applied_change": cursor.last_id,
        "newest_change": newest,
        "changes_behind": behind.count(),
        "seconds_behind": round((datetime.now(UTC) - oldest).total_seconds(), 1) if oldest else 0.0,
        "built_at": datetime.fromtimestamp(cursor.built_at, UTC).isoformat(timespec="seconds"),
    }
