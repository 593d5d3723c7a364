"""Word error rate: normalisation and the spellings of hyphenated compounds."""

from __future__ import annotations

import pytest

from stt_toolkit.testing.wer import normalize_words, reference_compounds, split_compounds, word_error_rate


def test_case_punctuation_and_small_numbers_do_not_count() -> None:
    assert normalize_words("Hello, World! It's 3 o’clock.") == ["hello", "world", "it's", "three", "o'clock"]
    assert word_error_rate("Hello world, it's three.", "hello World it's 3") == 0.0


def test_substitutions_deletions_and_insertions_each_count_once() -> None:
    reference = "the quick brown fox jumps"
    assert word_error_rate(reference, "the quick brown fox jumps") == 0.0
    assert word_error_rate(reference, "the quick red fox jumps") == pytest.approx(1 / 5)
    assert word_error_rate(reference, "the quick fox jumps") == pytest.approx(1 / 5)
    assert word_error_rate(reference, "the very quick brown fox jumps") == pytest.approx(1 / 5)
    assert word_error_rate(reference, "") == 1.0


def test_empty_reference() -> None:
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "something") == 1.0


def test_reference_compounds_map_the_closed_spelling_to_the_parts() -> None:
    assert reference_compounds('the "Lower-case" letters, a ne-plus-ultra') == {
        "lowercase": ["lower", "case"], "neplusultra": ["ne", "plus", "ultra"]}
    assert split_compounds(["the", "lowercase", "letters"], {"lowercase": ["lower", "case"]}) == [
        "the", "lower", "case", "letters"]


@pytest.mark.parametrize("spelling", ["lower case", "lower-case", "lowercase", "Lowercase"])
def test_a_hyphenated_reference_compound_matches_each_spelling(spelling: str) -> None:
    assert word_error_rate("the lower-case letters", f"the {spelling} letters") == 0.0


def test_strict_mode_counts_spellings_hesitations_and_abbreviations_as_words() -> None:
    assert word_error_rate("the lower-case letters", "the lowercase letters", strict=True) == pytest.approx(2 / 4)
    assert word_error_rate("yes mm hmm", "yes", strict=True) == pytest.approx(2 / 3)
    assert word_error_rate("psalters, etc.", "psalters, et cetera", strict=True) == pytest.approx(2 / 2)
    assert normalize_words("Um, Mr. Smith, etc.", strict=True) == ["um", "mr", "smith", "etc"]


def test_abbreviations_compare_as_they_are_said() -> None:
    assert normalize_words("Mr. Smith, Dr. Jones, etc.") == ["mister", "smith", "doctor", "jones", "et", "cetera"]
    assert word_error_rate("missals, psalters, etc.", "missals, psalters, et cetera") == 0.0
    assert word_error_rate("missals, psalters, etc.", "missals, psalters") == pytest.approx(2 / 4)


def test_only_compounds_the_reference_hyphenates_are_split() -> None:
    # the reference writes "lowercase" closed: an open spelling in the hypothesis stays an error
    assert word_error_rate("the lowercase letters", "the lower case letters") == pytest.approx(2 / 3)
    # a closed word the reference never hyphenates is left alone
    assert word_error_rate("a self-love story", "a selflove storyline") == pytest.approx(1 / 4)


def test_hesitations_are_left_out_on_both_sides() -> None:
    assert normalize_words("Um, I think, uh, yes. Mm-hmm.") == ["i", "think", "yes"]
    assert word_error_rate("right or mm hmm", "right or Mmm.") == 0.0
    assert word_error_rate("right or mm-hmm", "right or mmhmm") == 0.0
    # "hum" is a word, not a hesitation
    assert word_error_rate("a low hum", "a low") == pytest.approx(1 / 3)
