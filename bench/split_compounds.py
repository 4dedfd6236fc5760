"""Compound splitting measured: the search's splitter (app/search/text.py, split_compound: a cut
into two common Dutch words of wordfreq's list) against the compound-split package (its
n-gram char_split for Dutch), on judged compounds and words that are no compounds.

    .venv/bin/python bench/split_compounds.py

compound-split is not a dependency of the app; install it (`pip install compound-split`) to
compare, or the script measures the search's splitter alone. A compound counts as right when
its head (the last part) is found; a word that is no compound, when it is kept whole.
"""

import time
from collections.abc import Callable

from app.search.text import split_compound

try:  # an optional comparison: not a dependency of the app
    from compound_split import char_split  # type: ignore[import-not-found]
except ImportError:
    char_split = None

# word -> (modifier, head), or None for a word that is no compound
CASES: dict[str, tuple[str, str] | None] = {
    "huurachterstand": ("huur", "achterstand"), "geldzorgen": ("geld", "zorgen"),
    "gokverslaving": ("gok", "verslaving"), "angstklachten": ("angst", "klachten"),
    "drugsgebruik": ("drugs", "gebruik"), "voedselbank": ("voedsel", "bank"), "schuldhulp": ("schuld", "hulp"),
    "opvoedingsproblemen": ("opvoeding", "problemen"), "thuisadministratie": ("thuis", "administratie"),
    "woningaanpassing": ("woning", "aanpassing"), "taalcursus": ("taal", "cursus"),
    "rouwverwerking": ("rouw", "verwerking"), "schuldeisers": ("schuld", "eisers"),
    "slaapproblemen": ("slaap", "problemen"), "relatieproblemen": ("relatie", "problemen"),
    "energierekening": ("energie", "rekening"), "zorgverzekering": ("zorg", "verzekering"),
    "huurtoeslag": ("huur", "toeslag"), "kinderopvang": ("kinder", "opvang"), "gezinshulp": ("gezin", "hulp"),
    "werkzoekend": ("werk", "zoekend"), "alcoholprobleem": ("alcohol", "probleem"),
    "burenruzie": ("buren", "ruzie"), "dagopvang": ("dag", "opvang"), "geheugenproblemen": ("geheugen", "problemen"),
    "rugpijn": ("rug", "pijn"), "taalles": ("taal", "les"),
    "eenzaamheid": None, "verslaving": None, "depressie": None, "huiselijk": None, "werkloosheid": None,
    "opvoeding": None, "dementie": None, "schulden": None, "inburgering": None, "verwaarlozing": None,
    "vereenzaming": None, "somberheid": None, "administratie": None, "begeleiding": None,
}


def measure(name: str, split: Callable[[str], tuple[str, str] | None]) -> None:
    right, false_splits, missed = 0, [], []
    start = time.perf_counter()
    found = {word: split(word) for word in CASES}
    per_word = (time.perf_counter() - start) * 1000 / len(CASES)
    for word, expected in CASES.items():
        got = found[word]
        if expected is None:
            right += got is None
            if got is not None:
                false_splits.append(f"{word}={'+'.join(got)}")
        elif got is not None and got[1] == expected[1]:
            right += 1
        else:
            missed.append(word)
    print(f"{name}: {right}/{len(CASES)} right, {len(false_splits)} false splits, {len(missed)} compounds missed, "
          f"{per_word:.2f} ms a word (first call, uncached)")
    for label, words in (("false splits", false_splits), ("missed", missed)):
        if words:
            print(f"  {label}: {', '.join(words)}")


def main() -> None:
    split_compound("opwarmen")  # loads the word list once, as a worker does at its first compound
    measure("search splitter (wordfreq nl)", split_compound)
    if char_split is None:
        print("compound-split: not installed")
        return

    def theirs(word: str) -> tuple[str, str] | None:
        score, modifier, head = char_split.split_compound(word, lang="nl")[0]
        return (modifier.lower(), head.lower()) if score > 0 else None

    measure("compound-split (char_split nl, score > 0)", theirs)


if __name__ == "__main__":
    main()
