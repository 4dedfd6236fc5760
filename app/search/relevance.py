"""How well a service answers q, and why: the ranking's relevance bands.

Each word of q counts by where it is found best in the service:

- name (4): the word starts a word of the service's name;
- name (3): the name holds a part of the word (a compound), or an everyday word of a need
  domain the word names ("geldzorgen" names Financiën, whose synonyms include "schulden":
  Schuldhulpverlening);
- domain (2): the service serves a need domain the word names;
- description (1): the word starts a word of its description or organisation's name
  (or of a domain label it does not serve).

A service's band is the sum over the words; a search with q orders by band first, then
by coverage level, then by `fine` (more and earlier mentions, more of the named domains'
words, fewer other domains), then by distance. No corpus statistics: a service's score depends on the
service and q alone, so both databases and every worker rank alike.
"""

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from app.search.text import QueryWord, SearchTerms, stem_words

Where = Literal["name", "domain", "description"]
WEIGHTS: dict[Where, int] = {"name": 3, "domain": 2, "description": 1}
_OWN_NAME = 4  # the word itself in the name, above a word of its domain there
_WORD_START = re.compile(r"\S+")


@dataclass(frozen=True)
class WordMatch:
    word: str  # the word of q, as typed (folded)
    where: Where
    matched: str  # the word of the name as written, the need domain's code, or the query word found in the description


@dataclass
class Judgement:
    band: int = 0
    fine: float = 0.0
    matches: list[WordMatch] = field(default_factory=list)


@functools.lru_cache(maxsize=50_000)
def _name_words(name: str) -> tuple[tuple[str, str], ...]:
    """(stem, word) of each word of a service's name."""
    return tuple((stem, word) for word in _WORD_START.findall(name) for stem in stem_words(word)[:1])


def _in_name(named_words: tuple[tuple[str, str], ...], wanted: tuple[str, ...]) -> str | None:
    """The first word of the name that one of the `wanted` stems starts, if any."""
    if wanted:
        for stem, text in named_words:
            if stem.startswith(wanted):
                return text
    return None


@dataclass(frozen=True)
class _Word:
    """What judging reads of a word of q, worked out once for all its candidates."""

    word: QueryWord
    forms: tuple[tuple[str, str], ...]  # (stem, " " + stem) of its stem and the word as typed
    parts: tuple[tuple[str, str], ...]  # the same of its compound parts
    inner: bool  # it is also sought inside a stem
    named: tuple[tuple[str, ...], ...]  # per need domain it names, in code order: the domain's everyday words
    spoken: tuple[str, ...]  # those words, each once, with a leading space


class Judge:
    """judge() for every candidate of one SearchTerms."""

    def __init__(self, terms: SearchTerms) -> None:
        self.relaxed = terms.relaxed
        self.words = tuple(
            _Word(
                word,
                tuple((form, " " + form) for form in dict.fromkeys((word.stem, word.text))),
                tuple((part, " " + part) for part in word.parts),
                word.stem in terms.inner,
                tuple(stems for code in sorted(word.domains) if (stems := tuple(terms.domain_words.get(code, ())))),
                tuple(" " + stem for stem in dict.fromkeys(
                    stem for code in word.domains for stem in terms.domain_words.get(code, ()))),
            )
            for word in terms.words
        )
        self.best = _OWN_NAME * len(self.words)  # the highest band: every word in the name

    def band(self, name: str, document: str, domains: frozenset[str]) -> int:
        """The band alone, as __call__ finds it (without the finer score and the matches)."""
        return self(name, document, domains, fine=False).band

    def __call__(self, name: str, document: str, domains: frozenset[str], *, fine: bool = True) -> Judgement:
        """How the terms match a service with this name, search document (its stems, with a
        leading space) and need domain codes (`fine`: with the finer score within its band)."""
        named_words = _name_words(name)
        judgement = Judgement()
        for plan in self.words:
            word = plan.word
            whole = [(form, spaced) for form, spaced in plan.forms if spaced in document]
            parts = [(part, spaced) for part, spaced in plan.parts if spaced in document]
            own = whole or (parts if parts and (self.relaxed or len(parts) == len(plan.parts)) else [])
            inside = not own and plan.inner and word.stem in document
            in_name = _in_name(named_words, tuple(form for form, _ in whole)) if whole else None
            # A part of the compound, or an everyday word of a domain the word names: the name says
            # the service is about it, less surely than the word itself would. (Not needed when
            # the word itself is in the name.)
            related = None
            if not in_name:
                related = _in_name(named_words, tuple(part for part, _ in parts)) if parts else None
                for stems in plan.named:
                    if related:
                        break
                    related = _in_name(named_words, stems)
            served = sorted(word.domains & domains)
            if self.relaxed and not (own or inside or in_name or related or served):
                continue  # relaxed, a service matches some word of q, not necessarily this one
            # Else the index matched the word (every candidate matches every word) in the description,
            # the organisation's name, or a label of a domain it does not serve.
            where: Where = "name" if in_name or related else "domain" if served else "description"
            judgement.band += _OWN_NAME if in_name else WEIGHTS[where]
            if not fine:
                continue  # the band alone is asked of every match: no more is worked out
            matched = (in_name or related or "") if where == "name" else served[0] if where == "domain" else word.text
            judgement.matches.append(WordMatch(word.text, where, matched))
            # Within a band: more and earlier mentions of the word (with diminishing returns),
            # more of the named domains' words, and a service that serves fewer other domains.
            mentions = sum(document.count(spaced) for _, spaced in own) + (document.count(word.stem) if inside else 0)
            judgement.fine += 1 - 1 / (mentions + 1)
            if own:
                before = document[:document.find(own[0][1])].count(" ")
                judgement.fine += 0.5 / (1 + before)
            spoken = sum(1 for spaced in plan.spoken if spaced in document)
            judgement.fine += 1 - 1 / (spoken + 1)
            if served:
                judgement.fine += 1 / len(domains)
        return judgement


def judge(terms: SearchTerms, name: str, document: str, domains: frozenset[str]) -> Judgement:
    """How `terms` match a service with this name, search document (its stems, with a
    leading space) and need domain codes."""
    return Judge(terms)(name, document, domains)
