"""Word error rate against a reference transcript (for tests, benchmarks and users).

Both texts are normalised before they are compared: case, punctuation and NFKC variants
never count, nor do small numbers written as digits. Unless ``strict``, three differences
that are not recognition errors do not count either: hesitations (:data:`FILLERS`, which
Whisper's own English normaliser leaves out), abbreviations read out in full
(:data:`SPOKEN_FORMS`: "etc." is said "et cetera"), and the spelling of a compound the
reference hyphenates ("lower-case", "lower case" and "lowercase" are one word said).
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein

_NUMBER_WORDS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
                 "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten"}

#: Hesitation sounds left out of the comparison, as Whisper's English normaliser does.
FILLERS = frozenset({"hmm", "mm", "mhm", "mmm", "uh", "um"})
#: Abbreviations compared as they are said (Whisper's normaliser does the same for titles).
SPOKEN_FORMS = {"etc": ("et", "cetera"), "mr": ("mister",), "mrs": ("missus",), "dr": ("doctor",)}


def normalize_words(text: str, *, strict: bool = False) -> list[str]:
    """Lower-case words without punctuation or accents' variants (NFKC), for fair comparison;
    unless ``strict``, without :data:`FILLERS` and with :data:`SPOKEN_FORMS` expanded."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    words = [_NUMBER_WORDS.get(w, w) for w in (w.strip("'") for w in text.split()) if w]
    if strict:
        return words
    return [part for w in words if w not in FILLERS for part in SPOKEN_FORMS.get(w, (w,))]


def reference_compounds(reference: str) -> dict[str, list[str]]:
    """The reference's hyphenated compounds by their closed spelling: "lower-case" gives
    ``{"lowercase": ["lower", "case"]}``."""
    text = unicodedata.normalize("NFKC", reference).lower()
    compounds = {}
    for match in re.finditer(r"\w+(?:-\w+)+", text):
        parts = match.group().split("-")
        compounds["".join(parts)] = parts
    return compounds


def split_compounds(words: list[str], compounds: dict[str, list[str]]) -> list[str]:
    """Normalised words with each closed spelling of a reference compound split as the
    reference splits it, so that "lowercase", "lower case" and "lower-case" all match."""
    return [part for word in words for part in compounds.get(word, [word]) if part not in FILLERS]


def word_error_rate(reference: str, hypothesis: str, *, strict: bool = False) -> float:
    """(substitutions + deletions + insertions) / reference words, on normalised words
    (see the module's docstring; ``strict`` counts hesitations, abbreviations and compound
    spellings as words like any other)."""
    ref, hyp = normalize_words(reference, strict=strict), normalize_words(hypothesis, strict=strict)
    if not strict:
        hyp = split_compounds(hyp, reference_compounds(reference))
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)
