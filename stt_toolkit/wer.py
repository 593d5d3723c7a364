"""Word error rate against a reference transcript (for tests, benchmarks and users)."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein

_NUMBER_WORDS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
                 "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten"}


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation or accents' variants (NFKC), for fair comparison."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    words = [w.strip("'") for w in text.split()]
    return [_NUMBER_WORDS.get(w, w) for w in words if w]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on normalised words."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)
