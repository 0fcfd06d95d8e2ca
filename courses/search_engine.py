"""Catalog searches answered by the search index (courses.search_index): ranked ids, facet counts, "Did you
mean", typeahead suggestions.

The learner's text never reaches a query parser: it is cut into words by the project's tokenizer
(courses.search.words), topic synonyms are expanded (golang → Go), and the query is built here from term,
phrase and prefix queries, so `title:x`, AND, quotes, `*`, `~`, `^` or brackets are just words.
"""

import difflib
import functools
import json
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

import tantivy
from django.urls import reverse

from courses import search, search_index
from courses.facets import FACETS
from courses.search_index import SCHEMA, STEMMER, TEXT_FIELDS

Occur = tantivy.Occur
Query = tantivy.Query
PREFIX = re.compile(r"[a-z0-9]{3,}")
PREFIX_WEIGHT = 0.3  # a prefix match counts for less than the whole word, so "python" ranks Python over Pythonic
MAX_FACET_VALUES = 100_000  # terms aggregation size: every value, so every count is exact


# -- the query ----------------------------------------------------------------------------------------------


def _must(queries: list[Query]) -> Query:
    queries = [query for query in queries if query is not None]
    if not queries:
        return Query.all_query()
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, query) for query in queries])


def _should(queries: list[Query]) -> Query:
    if not queries:
        return Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, query) for query in queries])


def _alternative(phrase: str) -> Query:
    """One way of saying one group of the query ("golang", or "go"), in every text field, with its weight."""
    terms = [STEMMER.analyze(word)[:1] for word in search.tokenize(phrase)]
    terms = [term[0] for term in terms if term]
    if not terms:  # only words too long to index: nothing can match them
        return Query.empty_query()
    per_field = []
    for name, weight in TEXT_FIELDS.items():
        single = len(terms) == 1
        query = Query.term_query(SCHEMA, name, terms[0]) if single else Query.phrase_query(SCHEMA, name, terms)
        per_field.append(Query.boost_query(query, weight))
    return _should(per_field)


@functools.lru_cache(maxsize=256)
def _prefix(word: str) -> Query:
    """`word` as the start of a word, in every text field: results appear while the learner is still typing.

    Kept per word (a query depends only on the word): compiling its four regular expressions takes 0.9 ms, and
    each search builds its query twice (counts, then the page). A query is a few kilobytes of automaton.
    """
    pattern = re.escape(word) + ".*"
    return _should(
        [
            Query.const_score_query(Query.regex_query(SCHEMA, name, pattern), weight * PREFIX_WEIGHT)
            for name, weight in TEXT_FIELDS.items()
            if name != "description"  # a word begun in a title, topic, author or provider: fewer, better matches
        ]
    )


def text_query(text: str) -> Query | None:
    """Every group of the text must match (any of its alternatives); the last word also as a prefix.
    None when the text has no words (then everything matches).
    """
    groups = search.groups(text)
    if not groups:
        return None
    clauses, seen = [], set()
    for position, alternatives in enumerate(groups):
        last = position == len(groups) - 1
        if tuple(alternatives) in seen and not last:  # "python python python": the same clause adds nothing
            continue
        seen.add(tuple(alternatives))
        options = [_alternative(alternative) for alternative in alternatives]
        if last and PREFIX.fullmatch(alternatives[0]):
            options.append(_prefix(alternatives[0]))
        clauses.append(_should(options))
    return _must(clauses)


# -- what the facets refer to -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookups:
    """Names and ids behind the facets, read from the database once per change of the log."""

    topics: dict[int, tuple[str, str]]  # id → (slug, name)
    topic_ids: dict[str, int]  # slug → id
    providers: dict[int, tuple[str, str]]  # id → (slug, name)
    provider_ids: dict[str, int]
    careers: dict[str, tuple[str, list[int]]]  # slug → (name, ids of its topics); published careers only


_lookups: dict = {}


def lookups() -> Lookups:
    from courses.models import Provider, Topic

    version = search_index.live().current_version()
    if _lookups.get("version") != version:
        topics = {pk: (slug, name) for pk, slug, name in Topic.objects.values_list("pk", "slug", "name")}
        providers = {pk: (slug, name) for pk, slug, name in Provider.objects.values_list("pk", "slug", "name")}
        careers = {}  # through the guides app's Career.topics, without importing it
        links = Topic.careers.through.objects.filter(career__published=True)  # drafts stay unlisted
        for slug, name, topic_id in links.values_list("career__slug", "career__name", "topic_id"):
            careers.setdefault(slug, (name, []))[1].append(topic_id)
        _lookups.update(
            version=version,
            value=Lookups(
                topics=topics,
                topic_ids={slug: pk for pk, (slug, _) in topics.items()},
                providers=providers,
                provider_ids={slug: pk for pk, (slug, _) in providers.items()},
                careers=careers,
            ),
        )
    return _lookups["value"]


def condition(name: str, values, known: Lookups) -> Query:
    """The filter for one facet's chosen values: OR within the facet."""
    if name == "certificate":
        return Query.term_query(SCHEMA, "certificate", True)
    values = list(values)
    if name in ("kind", "level", "language"):
        return Query.term_set_query(SCHEMA, name, [str(value) for value in values])
    if name == "provider":
        return Query.term_set_query(
            SCHEMA, "provider_id", [known.provider_ids[v] for v in values if v in known.provider_ids]
        )
    if name == "topic":
        return Query.term_set_query(SCHEMA, "topic_ids", [known.topic_ids[v] for v in values if v in known.topic_ids])
    if name == "career":  # a draft career is not public yet: it filters nothing in
        ids = {topic for v in values if v in known.careers for topic in known.careers[v][1]}
        return Query.term_set_query(SCHEMA, "topic_ids", sorted(ids))
    if name == "price":
        return Query.term_set_query(SCHEMA, "price_class", [v for v in values if v in ("free", "paid")])
    raise ValueError(name)


# -- answers ------------------------------------------------------------------------------------------------

TERMS = {"kind": "kind", "level": "level", "language": "language", "provider": "provider_id", "topic": "topic_ids"}


def _terms(field: str) -> dict:
    return {"terms": {"field": field, "size": MAX_FACET_VALUES, "segment_size": MAX_FACET_VALUES}}


def _buckets(result: dict, name: str) -> dict:
    return {bucket["key"]: bucket["doc_count"] for bucket in result[name]["buckets"]}


def _key(name: str, value, known: Lookups):
    """How the engine's buckets name a chosen value: provider ids, the others as they are."""
    return known.provider_ids.get(value, -1) if name == "provider" else value


def _topics_filter(topic_ids: list[int]) -> dict:
    return {"filter": "topic_ids: IN [" + " ".join(str(int(pk)) for pk in topic_ids) + "]"}


def _count(searcher, query: Query) -> int:
    return searcher.search(query, limit=1, count=True).count


SORT_SPREAD_FIELDS = ["rating", "rating_count", "created", "price"]  # the fast fields the sorts order by


def counts(text: str, filters: dict) -> dict:
    """Every facet's counts and the total, in courses.facets' shape: {facet: {value: (label, count)}},
    "total", and "varies": for the rating, newest and price sorts, whether their values differ among
    the results at all (where they do not, the sort is title order). AND across facets, OR within one; each
    facet counted without its own filter.
    """
    searcher = search_index.live().searcher()
    known = lookups()
    matches = text_query(text)
    active = {name: condition(name, filters[name], known) for name in FACETS if filters.get(name)}

    def without(skip: str) -> Query:
        return _must([matches, *[query for name, query in active.items() if name != skip]])

    everything = without("")
    aggregations = {"total": {"value_count": {"field": "id"}}}
    # The sorts' own values, in the same pass: the catalog drops a sort that cannot reorder these results.
    aggregations |= {f"{name}_stats": {"stats": {"field": name}} for name in SORT_SPREAD_FIELDS}
    for name, field in [*TERMS.items(), ("price", "price_class"), ("certificate", "certificate")]:
        if name not in active:
            aggregations[name] = _terms(field)
    careers = {f"career_{n}": (slug, ids) for n, (slug, (_, ids)) in enumerate(known.careers.items())}
    # Careers are counted in the same pass, as filters over their topics (the ids are ours, never the learner's).
    career_filters = {key: _topics_filter(ids) for key, (_, ids) in careers.items()}
    found = searcher.aggregate(everything, {**aggregations, **({} if "career" in active else career_filters)})
    buckets = {name: _buckets(found, name) for name in [*TERMS, "price", "certificate"] if name in aggregations}
    for name in active:
        if name in (*TERMS, "price", "certificate"):
            field = TERMS.get(name) or {"price": "price_class", "certificate": "certificate"}[name]
            buckets[name] = _buckets(searcher.aggregate(without(name), {name: _terms(field)}), name)
    if "career" in active and career_filters:
        found.update(searcher.aggregate(without("career"), career_filters))
    # A chosen value the other filters leave without results is listed with 0 if the search matches it at all,
    # as before; looked up only for such values (usually none), not with a pass over every match.
    for name in ("kind", "level", "language", "provider"):
        if name in active:
            for value in filters[name]:
                if _key(name, value, known) not in buckets[name]:
                    alone = _must([matches, condition(name, [value], known)])
                    if _count(searcher, alone):
                        buckets[name][_key(name, value, known)] = 0

    result = {
        name: {value: (value, count) for value, count in buckets[name].items()}
        for name in ("kind", "level", "language")
    }
    result["provider"] = {
        known.providers[pk][0]: (known.providers[pk][1], count)
        for pk, count in buckets["provider"].items()
        if pk in known.providers
    }
    result["topic"] = {
        known.topics[pk][0]: (known.topics[pk][1], count)
        for pk, count in buckets["topic"].items()
        if count and pk in known.topics
    }
    result["career"] = {}
    for key, (slug, _) in careers.items():
        if count := found.get(key, {}).get("doc_count", 0):
            result["career"][slug] = (known.careers[slug][0], count)
    result["price"] = {
        "free": ("Free", buckets["price"].get("free", 0)),
        "paid": ("Paid", buckets["price"].get("paid", 0)),
    }
    certified = buckets["certificate"].get(1, 0)  # the engine reports booleans as 0 and 1
    result["certificate"] = {True: ("With certificate", certified)}
    result["total"] = int(found["total"]["value"] or 0)
    result["varies"] = _sort_values_vary(found, result["total"])
    return result


def _sort_values_vary(found: dict, total: int) -> dict[str, bool]:
    """Whether each sort's values tell the results apart: an unpriced (unrated) item sorts after a priced
    (rated) one, so a mix varies, as do different values; one shared value, or none, leaves title order."""

    def spread(name: str) -> bool:
        stats = found[f"{name}_stats"]
        present = int(stats["count"] or 0)
        return 0 < present < total or (present > 1 and stats["min"] != stats["max"])

    return {
        "rating": spread("rating") or spread("rating_count"),
        "newest": spread("created"),
        "price": spread("price"),
    }


def ranked_ids(text: str, filters: dict | None = None, *, offset: int = 0, limit: int | None = None) -> list[int]:
    """Ids of the published items matching `text` and `filters`, best first; all of them unless `limit`."""
    searcher = search_index.live().searcher()
    query = _filtered(text, filters)
    if limit is None:
        limit = max(_count(searcher, query) - offset, 0)
    if limit <= 0:
        return []
    # From the first hit, so that equal scores are ordered by id on every page alike (the engine would order
    # them by where each document happens to sit in the index, which changes as documents are rewritten).
    hits = searcher.search(query, limit=offset + limit, count=False).hits
    if not hits:
        return []
    ids = searcher.fast_field_values("id", [address for _, address in hits])
    ranked = sorted(zip(ids, [score for score, _ in hits], strict=True), key=lambda pair: (-round(pair[1], 4), pair[0]))
    return [pk for pk, _ in ranked[offset : offset + limit]]


MAX_TIE_TITLES = 1000  # distinct titles read to order items alike in every key (bounded; beyond: by id)


def _filtered(text: str, filters: dict | None) -> Query:
    filters = filters or {}
    known = lookups() if any(filters.get(name) for name in FACETS) else None
    return _must([text_query(text), *[condition(n, filters[n], known) for n in FACETS if filters.get(n)]])


SORT_VALUES = {"rating": ["rating", "rating_count"], "newest": ["created"], "price": ["price"], "title": []}


def sorted_ids(text: str, filters: dict | None, sort: str, *, offset: int, limit: int) -> list[int]:
    """Ids of one page of the matches in `sort` order ("title", "rating", "newest", "price"; see
    rating and newest descending, price ascending with unknown prices last), ties by title ignoring case and
    accents (courses.search.fold), then title, then id.

    The engine orders by the sort's key (search_index.SORT_KEYS), which ties items it cannot tell apart; the
    items sharing the page's first or last key are ordered here from their exact values. The work is the page
    plus those ties, never every match.
    """
    if limit <= 0:  # the engine wants at least one hit
        return []
    searcher = search_index.live().searcher()
    field = search_index.SORT_KEYS[sort]
    query = _filtered(text, filters)
    hits = searcher.search(
        query, limit=limit, offset=offset, count=False, order_by_field=field, order=tantivy.Order.Asc
    )
    if not hits.hits:
        return []
    low, high = hits.hits[0][0], hits.hits[-1][0]

    def between(lower: int, upper: int, *, include_upper: bool = True) -> Query:
        keys = Query.range_query(SCHEMA, field, tantivy.FieldType.Unsigned, lower, upper, include_upper=include_upper)
        return _must([query, keys])

    before = _count(searcher, between(0, low, include_upper=False)) if low else 0
    # Every item keyed from the page's first to its last key: the page's own and those tied with its ends.
    addresses = {(a.segment_ord, a.doc): a for _, a in hits.hits}
    for edge in {low, high}:
        tied = between(edge, edge)
        found = searcher.search(tied, limit=limit + 1, count=True)
        if found.count > limit + 1:
            found = searcher.search(tied, limit=found.count, count=False)
        addresses.update({(a.segment_ord, a.doc): a for _, a in found.hits})
    candidates = list(addresses.values())
    ids = searcher.fast_field_values("id", candidates)
    keys = [(key,) for key in searcher.fast_field_values(field, candidates)]
    # Ties of the key are ordered by the sort's exact value and the title's next letters, read field by field
    # only for the items still tied (most broad searches tie a few thousand at 8 letters, a handful at 32).
    for name in [*SORT_VALUES[sort], *([] if sort == "title" else ["sort_title"]), *search_index.TITLE_CHUNKS]:
        tied = _still_tied(keys)
        if not tied:
            break
        values = searcher.fast_field_values(name, [candidates[n] for n in tied])
        for n, value in zip(tied, values, strict=True):
            keys[n] = (*keys[n], _ascending(name, value))
    # Items alike in all of that: by whole title, read from the stored card once per distinct title (a hash
    # of the title tells equal ones apart; catalogs repeat titles), at most MAX_TIE_TITLES titles.
    tied = _still_tied(keys)
    titles, by_hash = {}, {}
    if tied:
        hashes = searcher.fast_field_values("title_hash", [candidates[n] for n in tied])
        for n, digest in zip(tied, hashes, strict=True):
            if digest not in by_hash and len(by_hash) < MAX_TIE_TITLES:
                title = json.loads(searcher.doc(candidates[n]).get_first("card"))["title"]
                by_hash[digest] = (search.fold(title), title)
            titles[n] = by_hash.get(digest, ("", ""))
    order = sorted(range(len(candidates)), key=lambda n: (keys[n], titles.get(n, ("", "")), ids[n]))
    start = offset - before
    return [ids[n] for n in order[start : start + limit]]


def _still_tied(keys: list[tuple]) -> list[int]:
    seen = Counter(keys)
    return [n for n, key in enumerate(keys) if seen[key] > 1]


def _ascending(name: str, value):
    """A fast field's value as it orders its sort (search_index.sort_keys): missing last, larger first for
    rating, number of ratings and creation time."""
    if name in ("rating", "rating_count", "created"):
        return (value is None, -(value or 0))
    if name == "price":
        return (value is None, value or 0)
    return value


def popular_topic_ids(*, count: int) -> list[int]:
    """Ids of the topics with the most published items, most first (ties: by id)."""
    searcher = search_index.live().searcher()
    found = searcher.aggregate(Query.all_query(), {"topics": _terms("topic_ids")})
    ranked = sorted(_buckets(found, "topics").items(), key=lambda item: (-item[1], item[0]))
    return [pk for pk, _ in ranked[:count]]


def did_you_mean(text: str) -> str | None:
    """A respelling of `text` from the index's own words ("pyhton" → "python"), or None."""
    searcher = search_index.live().searcher()
    terms = search.words(text)
    corrected, changed = [], False
    for term in terms:
        replacement = term
        if len(term) >= 3 and not term.isdigit() and not _known(searcher, term):
            replacement = _closest(searcher, term) or term
        changed |= replacement != term
        corrected.append(replacement)
    return " ".join(corrected) if changed else None


def _known(searcher, word: str) -> bool:
    return any(searcher.doc_freq(name, word) for name in ("title_words", "vocabulary"))


def _closest(searcher, word: str) -> str | None:
    # The engine finds titles holding a word within two edits of the typo (a Levenshtein automaton over the
    # index's terms, transpositions counting one); the closest of their words, then the commonest, wins.
    # Topic names and synonyms are candidates too.
    query = Query.fuzzy_term_query(SCHEMA, "title_words", word, distance=1 if len(word) <= 4 else 2)
    candidates = set()
    for _, address in searcher.search(query, limit=20, count=False).hits:
        candidates.update(search.tokenize(json.loads(searcher.doc(address).get_first("card"))["title"]))
    from courses.models import Topic

    for term in Topic.objects.synonym_map():  # names, slugs and synonyms, cached
        candidates.update(search.tokenize(term))
    candidates = [term for term in candidates if abs(len(term) - len(word)) <= 2 and not term.isdigit()]
    close = difflib.get_close_matches(word, candidates, n=5, cutoff=0.75)
    if not close:
        return None
    return max(
        close,
        key=lambda term: (
            round(difflib.SequenceMatcher(None, word, term).ratio(), 2),
            searcher.doc_freq("title_words", term) + searcher.doc_freq("vocabulary", term),
        ),
    )


# -- typeahead ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "topic" | "career" | "course" | "book"
    label: str
    url: str


_names: dict = {}


def _named_things() -> list[tuple[str, list[str], str, str]]:
    """(kind, words that find it, label, url) for every topic and published career, per change of the log."""
    version = search_index.live().current_version()
    if _names.get("version") != version:
        from courses.models import Topic

        known = lookups()
        synonyms = dict(Topic.objects.values_list("pk", "synonyms"))
        things = []
        for pk, (slug, name) in known.topics.items():
            keys = [name.lower(), slug, *[s.strip().lower() for s in synonyms.get(pk, "").split(",") if s.strip()]]
            things.append(("topic", keys, name, reverse("courses:topic_detail", kwargs={"slug": slug})))
        for slug, (name, _) in known.careers.items():
            url = reverse("courses:list") + "?" + urlencode({"career": slug})
            things.append(("career", [name.lower(), slug], name, url))
        _names.update(version=version, value=things)
    return _names["value"]


def suggest(text: str, *, limit: int = 8) -> list["Suggestion"]:
    """What to offer while a learner types `text` in a search box: topics, then careers whose name, slug or
    synonym starts with the text (or whose words start with it), then course and book titles whose words
    start with the typed words, best match first. At most `limit`; [] for text without words.

    Fast enough for every keystroke (one index query plus in-memory name lists); the URL of each suggestion
    is where choosing it goes: a topic page, the catalog filtered by a career, an item's page.
    """
    typed = " ".join(search.words(text))
    if not typed or limit <= 0:
        return []
    found: list[tuple[int, int, str, Suggestion]] = []
    for kind, keys, label, url in _named_things():
        rank = None
        for key in keys:
            if key.startswith(typed):
                rank = 0 if key == typed else 1
                break
            if any(word.startswith(typed) for word in key.split()[1:]):
                rank = 2
        if rank is not None:
            found.append((rank, 0 if kind == "topic" else 1, label.lower(), Suggestion(kind, label, url)))
    results = [suggestion for *_, suggestion in sorted(found, key=lambda item: item[:3])][:limit]
    if len(results) < limit:
        results += _titles(typed, limit - len(results), {s.label.lower() for s in results})
    return results[:limit]


def _titles(typed: str, count: int, taken: set[str]) -> list[Suggestion]:
    words = typed.split()
    if not words:
        return []
    searcher = search_index.live().searcher()
    clauses = [(Occur.Must, Query.term_query(SCHEMA, "title_words", word)) for word in words[:-1]]
    last = words[-1]
    clauses.append(
        (
            Occur.Must,
            _should(
                [
                    Query.boost_query(Query.term_query(SCHEMA, "title_words", last), 2.0),
                    Query.const_score_query(Query.regex_query(SCHEMA, "title_words", re.escape(last) + ".*"), 1.0),
                ]
            ),
        )
    )
    hits = searcher.search(Query.boolean_query(clauses), limit=count + len(taken), count=False).hits
    suggestions = []
    for _, address in hits:
        card = json.loads(searcher.doc(address).get_first("card"))
        if card["title"].lower() in taken:
            continue
        url = reverse("courses:detail", kwargs={"slug": card["slug"]})
        suggestions.append(Suggestion(card["kind"], card["title"], url))
    return suggestions[:count]
