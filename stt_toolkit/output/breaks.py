"""Where text may break between subtitle cues and lines, and what each break costs (pure).

The costs follow the Netflix Timed Text Style Guide and the BBC subtitle guidelines: break
after a sentence, else after a clause's punctuation, else before a conjunction or preposition;
never after a word that binds to the next (an article, a determiner, a preposition, a
conjunction, a subject pronoun or an auxiliary). A pause in the speech makes any break cheaper.
Words are Whisper's: they carry their own leading space (none in Japanese or Chinese).
"""

from __future__ import annotations

import re

from ..core.records import Word

#: Punctuation that ends a sentence (with closing quotes or brackets after it).
SENTENCE_END = re.compile(r"[.?!。？！…]['\"”’)」』]*$")
#: Abbreviations whose full stop does not end a sentence (English titles and Latin), and initials.
ABBREVIATION = re.compile(r"^(?:mr|mrs|ms|dr|prof|st|jr|sr|mt|vs|etc|e\.g|i\.e|vol|fig|approx|[a-z])\.$",
                          re.IGNORECASE)
#: Punctuation that ends a clause.
CLAUSE_END = re.compile(r"[,;:、，；：—–-]['\"”’)」』]*$")
#: Words a line or cue may start with: a break before them falls between phrases.
BREAK_BEFORE = frozenset(
    "and but or nor so yet because although though while whereas if unless until when where which who whom "
    "whose that to of in on at for with from by about into over after before than as".split())
#: Words that bind to the word after them: no line or cue should end on one (without
#: punctuation after it). Articles, determiners and possessives, prepositions, conjunctions,
#: subject pronouns and auxiliaries.
BINDING = frozenset((
    "a an the this these those my your his her its our their some any each every no "
    "of in on at for with from by about into onto over under after before to than as through during "
    "without within between among against across toward towards upon "
    "and but or nor because although though while whereas if unless until when where which who whom whose that "
    "i we they he she "
    "am is are was were be been being have has had do does did will would can could shall should may might must "
    "i'm we're they're he's she's it's i've we've they've i'll we'll they'll i'd we'd they'd "
    "not very").split())

#: Costs of a break, from the best place to the worst (see :func:`break_cost`).
SENTENCE, CLAUSE, PHRASE, WORD = 0.0, 1.0, 2.0, 3.0
#: Added when the word before the break binds to the next.
BINDING_COST = 5.0
#: Added between two capitalised words (a first name and a last name, "New / Jersey") and after
#: a number ("15th / century", "3 / days").
NAME_COST = 2.0
#: Taken off per second of pause at the break (up to one second).
PAUSE_BONUS = 2.0


def token(word: Word) -> str:
    """The word's text without surrounding spaces."""
    return word.word.strip()


def ends_sentence(word: Word) -> bool:
    """Whether ``word`` ends a sentence ("Mr." and "J." do not)."""
    text = token(word)
    return bool(SENTENCE_END.search(text)) and not ABBREVIATION.match(text)


def binds(word: Word) -> bool:
    """Whether ``word`` binds to the next one: a binding word with no punctuation after it."""
    text = token(word)
    return text[-1:].isalnum() and text.lower() in BINDING


def break_cost(before: Word, after: Word) -> float:
    """What a break between ``before`` and ``after`` costs (0 after a sentence; more inside one)."""
    text = token(before)
    if ends_sentence(before):
        cost = SENTENCE
    elif CLAUSE_END.search(text):
        cost = CLAUSE
    elif token(after).lower() in BREAK_BEFORE:
        cost = PHRASE
    else:
        cost = WORD
    if binds(before):
        cost += BINDING_COST
    elif cost == WORD and _holds_together(text, token(after)):
        cost += NAME_COST
    return max(cost - PAUSE_BONUS * min(max(after.start - before.end, 0.0), 1.0), 0.0)


def _holds_together(before: str, after: str) -> bool:
    """Two parts of one name, or a number and what it counts."""
    name = before[:1].isupper() and after[:1].isupper() and before != "I"
    return name or (before[:1].isdigit() and after[:1].isalpha())
