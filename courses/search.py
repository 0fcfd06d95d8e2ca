"""Words of the catalog's searches, and what the database needs to follow the search index's answers.

Learners' text is never handed to a query parser as is: it is cut into words here, topic synonyms are
grouped with them (golang → Go), and courses.search_engine builds the index's query from those words.
The title collation (reader order on both databases) lives here too.
"""

import functools
import json
import re
import unicodedata

from django.apps import apps
from django.db import connections
from django.db.models.expressions import RawSQL

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


# Title order as a reader expects it: "apple", "Banana", "éclair", "Élan", "Zeta": letters first (`fold`), then
# case and accents, then id. The search index keeps a sort key built from `fold` (courses.search_index).


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """`text` without accents and case: the first thing titles are ordered by."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
