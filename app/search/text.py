"""Dutch free-text search over services: stemming, the index's documents, and matching.

Stemming happens here, in Python, so that SQLite and PostgreSQL index and query the very
same stems (app/dialect/fulltext.py stores and matches them). Query stems match as prefixes of
indexed stems, because Dutch writes compounds as one word: "schuld" finds
"schuldhulpverlening".
"""

import csv
import functools
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import snowballstemmer  # type: ignore[import-untyped]
from sqlalchemy import Subquery
from sqlmodel import Session, col, select

from app.dialect import fulltext
from app.errors import InvalidInput
from app.organisations.models import Organisation
from app.services.models import Service, ServiceNeedDomain
from app.taxonomy.models import NeedDomain

SYNONYMS_CSV = Path(__file__).with_name("synonyms.csv")

# Words too common to tell services apart; also dropped from queries.
STOP_WORDS = frozenset(
    "aan al als bij dan dat de deze die dit door een en er het hij hun ik in is je kan "
    "maar met na naar niet nog of om ook op te tot u uit van voor wat wie zich zij zo".split()
)
_MIN_LENGTH = 2
_WORD = re.compile(r"[^\W_]+")
_NOT_STEM = re.compile(r"[^a-z0-9]+")


class _WithoutCombiningMarks(dict[int, str | None]):
    """A str.translate table that deletes combining characters, filled as characters
    come: translate then runs at C speed, unlike a loop over the characters."""

    def __missing__(self, code: int) -> str | None:
        self[code] = None if unicodedata.combining(chr(code)) else chr(code)
        return self[code]


_STRIP_MARKS = _WithoutCombiningMarks()


def _fold(text: str) -> str:
    """Lower-case without accents: "Financiën" -> "financien"."""
    if text.isascii():
        return text.lower()  # nothing to strip
    return unicodedata.normalize("NFKD", text.lower()).translate(_STRIP_MARKS)


def stem_words(text: str) -> list[str]:
    """The stems of a text's words, in order, without stop words and very short words."""
    words = [w for w in _WORD.findall(_fold(text)) if len(w) >= _MIN_LENGTH and w not in STOP_WORDS]
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
    return snowballstemmer.stemmer("dutch_porter").stemWord(word)  # type: ignore[no-any-return]


@functools.cache
def _synonym_domains() -> dict[str, frozenset[str]]:
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


def domain_labels_in_order(session: Session) -> list[tuple[str, str]]:
    """(code, label) of every need domain, in taxonomy order."""
    return list(session.exec(select(NeedDomain.code, NeedDomain.label).order_by(col(NeedDomain.position))).all())


def refresh_service_documents(session: Session, service_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the indexed documents of these services, in the caller's transaction."""
    ids = set(service_ids)
    if not ids:
        return
    session.flush()
    rows = session.exec(
        select(Service.id, Service.name, Service.description, Organisation.name)
        .join(Organisation, col(Organisation.id) == Service.organisation_id)
        .where(col(Service.id).in_(ids), col(Service.deleted_at).is_(None))
    ).all()
    labels: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    for service_id, label in session.exec(
        select(ServiceNeedDomain.service_id, NeedDomain.label)
        .join(NeedDomain, col(NeedDomain.code) == ServiceNeedDomain.domain_code)
        .where(col(ServiceNeedDomain.service_id).in_(ids))
        .order_by(col(NeedDomain.position))
    ):
        labels[service_id].append(label)
    fulltext.upsert_search_documents(session, {
        service_id: service_document(name, description, organisation_name, labels[service_id])
        for service_id, name, description, organisation_name in rows
    })
    # Deleted and vanished services leave the index.
    fulltext.delete_search_documents(session, ids - {row[0] for row in rows})


def refresh(session: Session, changed: Iterable[tuple[str, object]]) -> None:
    """Refresh the documents of the written services, and of every service of a written
    organisation, whose name is part of their documents ((entity type, id) as the change
    log records them)."""
    services: set[uuid.UUID] = set()
    organisations: set[uuid.UUID] = set()
    for entity_type, entity_id in changed:
        if entity_type in ("service", "organisation"):
            written = entity_id if isinstance(entity_id, uuid.UUID) else uuid.UUID(str(entity_id))
            (services if entity_type == "service" else organisations).add(written)
    if organisations:
        session.flush()
        services.update(session.exec(select(Service.id).where(col(Service.organisation_id).in_(organisations))).all())
    refresh_service_documents(session, services)


def text_matches(session: Session, q: str) -> Subquery:
    """(service_id, relevance) of the services that match every word of q."""
    return fulltext.search_document_matches(session, prefix_query(session, q))


def prefix_query(session: Session, q: str) -> fulltext.PrefixQuery:
    """What q asks of the index: every word of q must match.

    A word matches when its stem is a prefix of an indexed stem, or when it is a synonym
    of a need domain whose label's stems all match (a service's document holds the
    labels of its domains).
    """
    stems = list(dict.fromkeys(stem_words(q)))
    if not stems:
        raise InvalidInput("q holds no searchable word.", field="q")
    synonyms = _synonym_domains()
    # Only the labels of the domains q's synonyms name (most queries name none).
    named = {code for stem in stems for code in synonyms.get(stem, ())}
    label_stems = {
        code: stem_words(label)
        for code, label in session.exec(select(NeedDomain.code, NeedDomain.label).where(col(NeedDomain.code).in_(named)))
    } if named else {}
    query: fulltext.PrefixQuery = []
    for stem in stems:
        alternatives = [[stem]]
        for code in sorted(synonyms.get(stem, ())):
            if label_stems.get(code) and label_stems[code] not in alternatives:
                alternatives.append(label_stems[code])
        query.append(alternatives)
    return query
