"""Dutch free-text search over services: stemming, the index's documents, and matching.

Stemming happens here, in Python, so that SQLite and PostgreSQL index and query the very
same stems (app/dialect/fulltext.py stores and matches them). Query stems match as prefixes of
indexed stems, because Dutch writes compounds as one word: "schuld" finds
"schuldhulpverlening". The other way round, a compound in the query ("huurachterstand") is
split into words of the Dutch vocabulary ("huur" + "achterstand"), and also matches a
service that has both.
"""

import csv
import difflib
import functools
import math
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import snowballstemmer
import wordfreq
from sqlalchemy import ColumnElement, String, Subquery, and_, bindparam, case, func, literal, or_, true
from sqlmodel import Session, col, select

from app.dialect import fulltext, octets, one_of
from app.errors import InvalidInput
from app.folding import fold
from app.taxonomy.models import NeedDomain

SYNONYMS_CSV = Path(__file__).with_name("synonyms.csv")

# Words too common to tell services apart; also dropped from queries.
STOP_WORDS = frozenset(
    "aan al als bij dan dat de deze die dit door een en er het hij hun ik in is je kan "
    "maar met na naar niet nog of om ook op te tot u uit van voor wat wie zich zij zo".split()
)
_MIN_LENGTH = 2
# Compound splitting: both parts at least this long and at least this common in Dutch
# (Zipf scale: 3 is once per million words). Measured on judged compounds and
# non-compounds, this keeps "verslaving" and "eenzaamheid" whole and splits
# "gokverslaving" and "angstklachten" (bench/split_compounds.py).
_MIN_PART = 3
_MIN_HEAD = 4
_MIN_ZIPF = 3.0
_LINKS = ("s", "en", "")  # Dutch linking letters between the parts: "opvoeding-s-problemen"
_MIN_NAMING = 5  # a shorter start of a one-word domain label ("huis") names no domain
# A word this long is also sought (its stem) inside the indexed stems, as the head of a compound there;
# a shorter one would be found inside unrelated words ("taal" in "betaal").
_MIN_INNER = 7
_SIMILAR = 0.8  # how alike (difflib's ratio) a word must be to a synonym's to stand for its domain
_WORD = re.compile(r"[^\W_]+")
_NOT_STEM = re.compile(r"[^a-z0-9]+")


def stem_words(text: str) -> list[str]:
    """The stems of a text's words, in order, without stop words and very short words."""
    words = [w for w in _WORD.findall(fold(text)) if len(w) >= _MIN_LENGTH and w not in STOP_WORDS]
    stemmed = [_stem(word) for word in words]
    # Letters that do not fold to a-z (e.g. "ß") are dropped: the index holds [a-z0-9] only.
    stems = (_NOT_STEM.sub("", stem) for stem in stemmed)
    return [stem for stem in stems if stem]


@functools.lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    # Stemming is slow (~0.1 ms a word) and a catalogue repeats its words: a bulk import
    # would spend most of its time here without the cache. A new stemmer per word: a
    # stemmer keeps state while it works, so it is not thread-safe. dutch_porter is the
    # algorithm of PostgreSQL's 'dutch' configuration.
    return snowballstemmer.stemmer("dutch_porter").stemWord(word)


@functools.cache
def _common_dutch_words() -> dict[str, float]:
    """Dutch word -> how common it is (Zipf), for the some 30,000 words of wordfreq's list at
    least _MIN_ZIPF common; read once per process (about a second)."""
    floor = 10 ** (_MIN_ZIPF - 9)
    common = {word: math.log10(share) + 9 for word, share in wordfreq.get_frequency_dict("nl").items()
              if share >= floor and word.isalpha()}
    # wordfreq keeps the whole list it read (some 30 MB per worker); these words are all that is used of it.
    wordfreq.get_frequency_dict.cache_clear()
    wordfreq.get_frequency_list.cache_clear()
    return common


@functools.lru_cache(maxsize=10_000)
def split_compound(word: str) -> tuple[str, str] | None:
    """(modifier, head) of a Dutch compound whose parts are both common words, or None.

    Of the ways to cut the word (after an optional linking "s" or "en"), the one whose
    rarer part is most common wins; a word that is itself common is kept whole unless a cut
    gives two parts at least as common, so that "verslaving" is not "vers" + "laving"."""
    common = _common_dutch_words()
    best: tuple[float, str, str] | None = None
    for cut in range(_MIN_PART, len(word) - _MIN_HEAD + 1):
        left, head = word[:cut], word[cut:]
        if head not in common:
            continue
        for link in _LINKS:
            modifier = left[: len(left) - len(link)]
            if not left.endswith(link) or len(modifier) < _MIN_PART or modifier not in common:
                continue
            score = min(common[modifier], common[head])
            if best is None or score > best[0]:
                best = (score, modifier, head)
    if best is None or common.get(word, 0.0) > best[0]:
        return None
    return best[1], best[2]


@functools.cache
def synonym_domains() -> dict[str, frozenset[str]]:
    """Stem of an everyday word -> the need domains it stands for (synonyms.csv)."""
    domains: defaultdict[str, set[str]] = defaultdict(set)
    with SYNONYMS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            stems = stem_words(row["word"])
            if len(stems) != 1:
                raise ValueError(f"{SYNONYMS_CSV.name}: {row['word']!r} is not one searchable word")
            domains[stems[0]].add(row["domain_code"])
    return {stem: frozenset(codes) for stem, codes in domains.items()}


def service_document(name: str, description: str | None, organisation_name: str, domain_labels: Iterable[str]) -> list[str]:
    """What a service is found by: its name, description, organisation, and the labels of
    its need domains in taxonomy order."""
    return stem_words(" ".join([name, description or "", organisation_name, *domain_labels]))


def service_words(name: str, description: str | None, organisation_name: str, domain_labels: Iterable[str]) -> fulltext.Document:
    """A service's document as the index stores it: service_document's stems, and apart
    those of its name (which start them: stem_words goes word by word)."""
    name_stems = stem_words(name)
    return fulltext.Document(name_stems + stem_words(" ".join([description or "", organisation_name, *domain_labels])),
                             name_stems)


def domain_labels_in_order(session: Session) -> list[tuple[str, str]]:
    """(code, label) of every need domain, in taxonomy order."""
    return list(session.exec(select(NeedDomain.code, NeedDomain.label).order_by(col(NeedDomain.position))).all())


def text_matches(session: Session, q: str, *, field: str = "q") -> Subquery:
    """(service_id, relevance) of the services whose document matches q: the postcode
    search's own test (document_match) over every service's stems. Relevance counts the
    words of q whose stem starts a word of the service's name; higher is better."""
    return _matching_services(session, search_terms(session, q, field=field), name_only=False)


def name_matches(session: Session, q: str, *, field: str = "name") -> Subquery:
    """(service_id, relevance) as text_matches, testing the stems of the service's name alone."""
    return _matching_services(session, search_terms(session, q, field=field), name_only=True)


def _matching_services(session: Session, terms: "SearchTerms", *, name_only: bool) -> Subquery:
    dialect_name = session.get_bind().dialect.name
    service_id, stems = fulltext.search_stems(dialect_name)
    name_stems = literal(" ") + func.coalesce(fulltext.search_name_stems(dialect_name), "")
    values = stem_parameters(terms.query, terms.inner)

    def value(key: str) -> Any:
        return bindparam(key, values[key], type_=String(), unique=True)

    document = name_stems if name_only else literal(" ") + stems
    in_name = [case((fulltext.find_in_text(dialect_name, name_stems, value(f"stem_{w}_0_0")) > 0, 1), else_=0)
               for w in range(len(terms.query))]
    statement = select(service_id, functools.reduce(operator.add, in_name).label("relevance")).where(
        *document_match(dialect_name, query_shape(terms.query), [stem is not None for stem in terms.inner], document, value)
    )
    if not any(stem is not None for stem in terms.inner):
        # Without a word sought inside stems the full-text index finds the same services as
        # the test (and more when only the name counts): it narrows the test to them instead
        # of every service's stems (at 30,000 services 0.5-1.3 ms against 24-90 ms, SQLite).
        found = fulltext.search_document_matches(session, terms.query)
        statement = statement.join(found, found.c.service_id == service_id)
    return statement.subquery("text_matches")


def query_shape(query: fulltext.PrefixQuery) -> tuple[tuple[int, ...], ...]:
    """Per word of a query, the number of stems of each of its alternatives."""
    return tuple(tuple(len(alternative) for alternative in word) for word in query)


def stem_parameters(query: fulltext.PrefixQuery, inner: Iterable[str | None]) -> dict[str, str]:
    """The values document_match binds: each alternative's stems with the leading space that
    makes them match at the start of a word, and each long word to find inside one."""
    values = {f"stem_{w}_{a}_{k}": " " + stem
              for w, word in enumerate(query) for a, alternative in enumerate(word) for k, stem in enumerate(alternative)}
    return values | {f"inner_{w}": stem for w, stem in enumerate(inner) if stem is not None}


def _bound(key: str) -> Any:
    return bindparam(key, type_=String())


def document_match(
    dialect_name: str, shape: Sequence[Sequence[int]], inner: Sequence[bool], document: Any,
    value: Callable[[str], Any] = _bound,
) -> list[Any]:
    """SQL: the document (its stems, each after a space) matches every word of q: one of the
    word's alternatives, all of whose stems start a stem of the document; or, for a long
    word, found inside one ("uitkering" in "bijstandsuitkering"). `shape` is query_shape's,
    `inner` whether each word is also sought inside; the values are stem_parameters' (bound
    at execution by default, so that a statement built on it can be cached)."""
    def found(key: str) -> Any:
        return fulltext.find_in_text(dialect_name, document, value(key)) > 0

    return [
        or_(*(and_(*(found(f"stem_{w}_{a}_{k}") for k in range(count))) for a, count in enumerate(word)),
            *([found(f"inner_{w}")] if inner and inner[w] else []))
        for w, word in enumerate(shape)
    ]


def matcher(terms: "SearchTerms") -> Callable[[str], bool]:
    """document_match in Python: whether a document (its stems, each after a space) matches
    every word of the terms, as the SQL test decides it. (Plain loops: a search tests
    thousands of documents, and generators would cost more than the tests.)"""
    words = [
        ([tuple(" " + stem for stem in alternative) for alternative in word], inner)
        for word, inner in zip(terms.query, terms.inner, strict=True)
    ]

    def matches(document: str) -> bool:
        for alternatives, inner in words:
            if inner is not None and inner in document:
                continue
            for alternative in alternatives:
                for stem in alternative:
                    if stem not in document:
                        break
                else:  # every stem of this alternative is there
                    break
            else:  # no alternative is
                return False
        return True

    return matches


def text_matcher(session: Session, q: str, *, field: str = "q") -> Callable[[str], bool]:
    """A test of a text (a name, a description) as a service's document is tested for q."""
    matches = matcher(search_terms(session, q, field=field))
    return lambda text: matches(_text_document(text))


@functools.lru_cache(maxsize=50_000)
def _text_document(text: str) -> str:
    """A text's stems as a document is tested (each after a space). The same names are tested
    search after search."""
    return " " + " ".join(stem_words(text))


# A stem differs from the start of its word in at most its last two letters: Snowball's Dutch
# stemmer undoubles a vowel there ("gaat": "gat") or writes "heden" as "heid" ("eenheden": "eenheid");
# so did all 311,000 words of wordfreq's Dutch list (bench/one_matcher.py checks them).
_STEM_CHANGES = 2


def entities_matching(session: Session, q: str, key: Any, texts: Sequence[Any], *, field: str) -> ColumnElement[bool]:
    """SQL: the rows (by their `key` column) whose texts, read as one, match q as a service's
    document does (document_match), for entities without a stored document (organisations,
    locations, contacts, areas).

    The database narrows the rows to those that can match, and Python stems and tests them.
    A text in ASCII folds to its lower case, in which each word of q must find the start of
    its stems that every word they start begins with. Any other text is a candidate: folding
    it in SQL (PostgreSQL's translate() of some 700 letters) costs more than testing it here
    (bench/one_matcher.py)."""
    terms = search_terms(session, q, field=field)
    # The texts with a space between each two, so that their words stay apart.
    parts: list[Any] = [func.coalesce(text, "") for text in texts]
    joined = functools.reduce(lambda left, right: left + literal(" ") + right, parts)
    lowered = func.lower(joined)

    @functools.cache
    def holds(stem: str) -> Any:
        start = stem[: len(stem) - _STEM_CHANGES]
        return lowered.contains(start, autoescape=True) if start else true()

    may_match = and_(*(
        or_(*(and_(*(holds(stem) for stem in alternative)) for alternative in word), *([holds(inner)] if inner else []))
        for word, inner in zip(terms.query, terms.inner, strict=True)
    ))
    outside_ascii = func.length(joined) != octets(joined)
    candidates = session.execute(select(key, joined).where(or_(may_match, outside_ascii))).all()
    matches = matcher(terms)
    matched = [row_key for row_key, text in candidates if matches(_text_document(text))]
    return one_of(session.get_bind().dialect, key, matched)


@dataclass(frozen=True)
class QueryWord:
    """One word of q as the search reads it."""

    text: str  # as typed, folded
    stem: str
    parts: tuple[str, ...]  # the stems of its compound parts (modifier, head), or () when it is no compound
    domains: frozenset[str]  # the need domains it names: it is a synonym of them, or their one-word label
    part_domains: frozenset[str]  # the need domains its compound parts name


@dataclass(frozen=True)
class SearchTerms:
    """What q asks: its words, each need domain's everyday words (its synonyms' stems), and
    the query the index matches."""

    words: tuple[QueryWord, ...]
    domain_words: dict[str, frozenset[str]]
    query: fulltext.PrefixQuery
    inner: tuple[str | None, ...]  # per word of query: its stem when long enough to be sought inside compounds
    relaxed: bool = False  # any word, or any compound part, may match (relaxed_terms)


def prefix_query(session: Session, q: str) -> fulltext.PrefixQuery:
    """What q asks of the index: every word of q must match (search_terms)."""
    return search_terms(session, q).query


def search_terms(session: Session, q: str, *, field: str = "q") -> SearchTerms:
    """q read for the search: every word must match.

    A word matches when its stem, or the word as typed, is a prefix of an indexed stem;
    when it is a compound whose parts' stems both are; or when it is a synonym of a need
    domain whose label's stems all match (a service's document holds the labels of its
    domains). The postcode search also finds a long word inside an indexed stem (`inner`,
    "uitkering" in "bijstandsuitkering"), which the full-text index cannot.
    """
    words = _query_words(q)
    if not words:
        raise InvalidInput(f"{field} holds no searchable word.", field=field)
    labels = _label_stems(session)
    domain_words = dict(_domain_words(tuple(labels)))
    query: fulltext.PrefixQuery = []
    for word in words:
        alternatives = [[word.stem]]
        if word.text != word.stem:
            alternatives.append([word.text])  # the stemmer shortens some words: "taal" -> "tal", not in "taalhuis"
        if word.parts:
            alternatives.append(list(word.parts))
        for code in sorted(word.domains):
            if labels.get(code) and labels[code] not in alternatives:
                alternatives.append(labels[code])
        query.append(alternatives)
    named = [
        QueryWord(word.text, word.stem, word.parts, word.domains | _labels_named(word.stem, labels),
                  _part_domains(word, labels))
        for word in words
    ]
    inner = tuple(word.stem if len(word.text) >= _MIN_INNER else None for word in words)
    return SearchTerms(tuple(named), domain_words, query, inner)


def relaxed_terms(session: Session, terms: SearchTerms) -> SearchTerms:
    """What to offer when nothing matches `terms`: a service matching any word of q, any
    part of a compound of q, or a need domain that a word or part names or that a word is
    spelled like a synonym of ("depresie")."""
    labels = _label_stems(session)
    synonyms = synonym_domains()
    words = []
    for word in terms.words:
        similar = difflib.get_close_matches(word.stem, list(synonyms), n=1, cutoff=_SIMILAR)
        domains = word.domains | word.part_domains | (synonyms[similar[0]] if similar else frozenset())
        words.append(QueryWord(word.text, word.stem, word.parts, domains, word.part_domains))
    alternatives = [[word.stem] for word in words] + [[word.text] for word in words if word.text != word.stem]
    alternatives += [[part] for word in words for part in word.parts]
    alternatives += [labels[code] for code in sorted({code for word in words for code in word.domains}) if labels.get(code)]
    return SearchTerms(tuple(words), terms.domain_words, [alternatives], (None,), relaxed=True)


def words_as_typed(q: str) -> dict[str, str]:
    """Each word of q as a QueryWord's text reads it -> the word as typed (its first spelling)."""
    return {_NOT_STEM.sub("", fold(word)): word for word in reversed(_WORD.findall(q))}


def _query_words(q: str) -> list[QueryWord]:
    """The distinct words of q, with their stems, compound parts and synonyms' domains."""
    synonyms = synonym_domains()
    words: dict[str, QueryWord] = {}
    for text in _WORD.findall(fold(q)):
        stems = stem_words(text)
        if len(stems) != 1 or stems[0] in words:
            continue
        split = split_compound(text)
        parts = tuple(stem for part in split for stem in stem_words(part)) if split else ()
        words[stems[0]] = QueryWord(_NOT_STEM.sub("", text), stems[0], parts if len(parts) == 2 else (),
                                    synonyms.get(stems[0], frozenset()), frozenset())
    return list(words.values())


def _label_stems(session: Session) -> dict[str, list[str]]:
    """Need domain code -> its label's stems."""
    return {code: list(stems) for code, stems in _stems_of_labels(tuple(domain_labels_in_order(session)))}


@functools.lru_cache(maxsize=8)
def _stems_of_labels(labels: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(code, its label's stems) of each (code, label): the taxonomy seldom changes, so the
    stems of its labels are worked out once for each version read."""
    return tuple((code, tuple(stem_words(label))) for code, label in labels)


@functools.lru_cache(maxsize=8)
def _domain_words(codes: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Need domain code (of `codes`, in their order) -> the stems of its synonyms: the everyday
    words for it (a label's own words, "sociaal" or "maatschappelijk", are too general to tell
    a service's purpose). Shared between searches: copy before changing."""
    words: defaultdict[str, set[str]] = defaultdict(set)
    for stem, named in synonym_domains().items():
        for code in named:
            words[code].add(stem)
    return {code: frozenset(words[code]) for code in codes}


def _labels_named(stem: str, labels: dict[str, list[str]]) -> frozenset[str]:
    """The need domains whose label is this one word, or starts with it ("financien": Financiën)."""
    return frozenset(code for code, stems in labels.items()
                     if len(stems) == 1 and (stems[0] == stem or (len(stem) >= _MIN_NAMING and stems[0].startswith(stem))))


def _part_domains(word: QueryWord, labels: dict[str, list[str]]) -> frozenset[str]:
    synonyms = synonym_domains()
    return frozenset(code for part in word.parts for code in synonyms.get(part, frozenset()) | _labels_named(part, labels))
