"""Swap sites in prose: the nouns a sentence names after "the", put in another order.

"Light travels from the sun to the earth" also reads "from the earth to the sun": the same words, each in a place a
noun stands, saying something else. A sentence with k such nouns (2 <= k <= 4, all singular or all plural) is one
site whose members are all k! orders of them, the written one first. The set of members is the same whichever order
the text wrote, so the site is exchangeable by construction, and every member holds the same words: no count of words,
no length, no similarity tells the written order from the others. What a reader needs is the passage.

Guards, each read from the set of nouns and never from their order:

- a noun is one lower-case word after "the" that a preposition, a verb of being, a conjunction or a punctuation mark
  follows (where the noun phrase surely ends), and not a word that stands there as an adjective or a quantity
  ("the same", "the first", "the rest");
- the nouns of a site agree in number (a plural never takes a singular's place before "is");
- two nouns joined by "and", "or" or a comma ("the proton and the electron") are one list whose order says nothing:
  only the first of them is kept;
- a word met twice in the sentence is no noun of it (exchanging it with itself changes nothing).
"""

from __future__ import annotations

import itertools
import re

from rlvrkit.mask.numeric import Edits

MAX_NOUNS = 4  # 4! = 24 members: enough for any --options up to 24 with one site
_BOUNDARY = (
    r"of|in|on|at|is|are|was|were|to|(?:and|or)(?=\s+(?:the|an?|its|their|this|these|those)\b)|that|which|with|from|by|for|as|into|onto|has|have|had|can|will|would|"
    r"between|through|than|when|while|within|around|across|toward|towards|the|a|an|because|since|if|but|so|also|"
    r"be|been|not|may|must|could|should|does|do|did|only|all|under|over|during|after|before|about|per|it|its|we|you|they|he|she|one|"
    + "|".join(
        # modals, adverbs and prepositions that end a noun phrase ("the point inside", "dark matter cannot"), and
        # verbs that are never nouns ("the planetary system suggests"): each ends the phrase before it, never in it
        """cannot might shall without beyond behind beside along among against upon near inside outside up down out
        off away together apart back here there then now well still even often always never usually typically
        generally mostly very much too again instead thus hence therefore however yet just rather such whose where
        how why whether unless until via like unlike versus despite throughout beneath
        suggest suggests suggested indicate indicates indicated become becomes became remain remains remained seem
        seems seemed appear appears appeared occur occurs occurred contain contains contained include includes
        included require requires required depend depends depended allow allows allowed provide provides provided
        consist consists consisted explain explains explained describe describes described reveal reveals revealed
        determine determines determined enable enables enabled represent represents represented tend tends tended
        differ differs differed vary varies varied exist exists existed behave behaves interact interacts produce
        produces produced moves moved lasted lasts gave took began knew saw made led shown found known called named
        termed given seen taken""".split()
    )
)
_HEAD = re.compile(  # "the" and up to two modifiers before the noun, then where the noun phrase surely ends
    rf"\b(?:[Tt]he|[Tt]his|[Tt]hese|[Tt]hose|[Ii]ts|[Tt]heir|[Ee]ach|[Ee]very|[Oo]ur|[Hh]is|[Hh]er|[Ss]ome|[Mm]any|[Ss]everal|[Bb]oth|[Mm]ost|[Aa]ny|[Tt]wo|[Tt]hree|[Aa]nother|[Ff]ew|[Ee]ither|[Nn]either)\s+((?:(?!(?:{_BOUNDARY})\b)[a-z][a-z-]*\s+){{0,2}}?[a-z]{{3,}})(?=\s*[,.;:)]|\s+(?:{_BOUNDARY})\b)"
)
_INDEFINITE = re.compile(  # "a"/"an" and the noun phrase: exchanged whole, the article going with its noun
    rf"(?<![\w-])(an?\s+(?:(?!(?:{_BOUNDARY})\b)[a-z][a-z-]*\s+){{0,2}}?[a-z]{{3,}})(?=\s*[,.;:)]|\s+(?:{_BOUNDARY})\b)"
)
_NOT_NOUN = frozenset(
    "same following other first second third last most least next former latter entire whole total previous above "
    "below one two three only rest remaining average opposite majority number amount use case end beginning way "
    "fact result order sum part basis presence absence "
    # the text itself: "the section of the scope" says nothing a science reader can weigh
    "chapter section scope premise figure table text book unit module example topic "
    # adjectives that end a phrase after their noun ("the molecule responsible", "those central to")
    "responsible central possible available necessary important similar different due able likely capable common "
    "essential present "
    # quantities: "a lot of", "the past few million years"
    "lot bit deal couple dozen hundred thousand million billion hundreds thousands millions billions "
    # spans of time, mostly in idioms ("every day", "some years before"), and comparatives ("a larger one")
    "time times day days year years week weeks moment while larger smaller greater higher lower".split()
)
_ABSTRACT = (  # the head nouns of processes and of places in a text or in time: "the growth of the star" read as
    # "the star of the growth" is nonsense a reader rejects unread, so they are exchanged only among themselves
    ("ment", "ness", "ship"),
    frozenset(
        """source work question idea concept term instant duration region point process growth period stage step
        case type kind way method study view approach""".split()
    ),
)
_FUNCTION_WORDS = frozenset(re.sub(r"\(\?[^)]*\)|[()?:]", "", _BOUNDARY).replace("|", " ").split()) | {
    "and",
    "or",
    "nor",
}
_OF = re.compile(r"\s+of\b")
_LIST = re.compile(r"\s*(?:,|,?\s*(?:and|or|nor))\s*(?:(?:the|its|their|this|these|those)\s*)?$")


def swap_sites(text: str, steps: list[tuple[int, int]]) -> list[tuple[int, tuple[Edits, ...], tuple[str, ...]]]:
    """(step, members, names) of each swap site of `text` (prose, its math blanked): its nouns of one number, in
    groups of 2 to MAX_NOUNS in the order written, every order of a group's nouns a member, the written one first.
    `step`: the step of the group's first noun."""
    definite, indefinite = _nouns(text, steps, _HEAD), _nouns(text, steps, _INDEFINITE)
    out = []
    for nouns, plural in itertools.product((definite, indefinite), (False, True)):
        alike = [n for n in nouns if _plural(text[n[0] : n[1]]) == plural]
        for same in _kinds(text, alike):
            near = _near_equivalent(text, same)
            same = [n for n in same if n not in near]
            for k in range(0, len(same), MAX_NOUNS):
                group = same[k : k + MAX_NOUNS]
                if len(group) >= 2:
                    step = next(i for i, (a, b) in enumerate(steps) if a <= group[0][0] < b)
                    out.append((step, *_orders(text, group)))
    return out


def _orders(text: str, nouns: list[tuple[int, int]]) -> tuple[tuple[Edits, ...], tuple[str, ...]]:
    words = [text[x:y] for x, y in nouns]
    members, names = [], []
    for order in itertools.permutations(range(len(nouns))):
        members.append({nouns[k]: words[j] for k, j in enumerate(order) if j != k})
        names.append(" … ".join(words[j] for j in order))
    return tuple(members), tuple(names)


def _nouns(text: str, steps: list[tuple[int, int]], pattern: re.Pattern) -> list[tuple[int, int]]:
    """The nouns of the text a swap site exchanges, first ones first: a noun met twice is none, nor the second of
    two in a list."""
    found = [m for a, b in steps for m in pattern.finditer(text, a, b) if _noun_phrase(_bare(m.group(1)))]
    found = [m for m in found if not _verb_after_singular(text, m)]
    counts: dict[str, int] = {}
    for m in found:
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    kept: list[re.Match] = []
    for m in found:
        if counts[m.group(1)] > 1:
            continue
        if kept and _LIST.fullmatch(text, kept[-1].end(1), m.start(1)):
            continue
        kept.append(m)
    return [m.span(1) for m in kept]


def _kinds(text: str, nouns: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The nouns in lists of one kind where each kind has two or more (else in one list), so that a site exchanges
    like with like: first the places, a noun that an "of" follows ("the magnitude of …", a part or a property) apart
    from the others; then the nouns, things apart from processes (`_abstract`). The places are the text's, the nouns
    are read from their set, never from their order."""
    out = []
    for place in _split(nouns, lambda n: _OF.match(text, n[1]) is not None):
        out += _split(place, lambda n: _abstract(text[n[0] : n[1]]))
    return out


def _split(nouns: list[tuple[int, int]], kind) -> list[list[tuple[int, int]]]:
    one, other = [n for n in nouns if kind(n)], [n for n in nouns if not kind(n)]
    return [other, one] if len(one) >= 2 and len(other) >= 2 else [nouns]


def _near_equivalent(text: str, nouns: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The noun phrases of a group that share their head noun with another of it or whose words hold another's ("the
    kelvin scale", "the kelvin temperature scale"; "the plasmid", "the plasmid vector"): exchanged, they say nearly
    the same. Both of such a pair are left out, so the guard reads the set of phrases, never their order."""
    words = {n: _bare(text[n[0] : n[1]]) for n in nouns}
    heads = {n: _singular(w[-1]) for n, w in words.items()}
    out = set()
    for n, m in itertools.combinations(nouns, 2):
        short, long = sorted((words[n], words[m]), key=len)
        inside = any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))
        if heads[n] == heads[m] or inside:
            out.update((n, m))
    return out


def _singular(word: str) -> str:
    return word[:-1] if _plural(word) else word


def _abstract(phrase: str) -> bool:
    """Whether a noun phrase names a process, a quality or a place in a text rather than a thing (`_ABSTRACT`)."""
    head = _singular(phrase.split()[-1])
    return head.endswith(_ABSTRACT[0]) or head in _ABSTRACT[1]


def _plural(phrase: str) -> bool:
    word = phrase.split()[-1]
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys"))


def _verb_after_singular(text: str, m: re.Match) -> bool:
    """ "a quarter weighs", "this pulse travels": a singular determiner before words whose last ends in -s is a noun
    and its verb, not one noun phrase."""
    words = m.group(1).split()
    determiner = text[max(0, m.start() - 6) : m.start(1)].split()[-1:] or [words[0]]
    singular = determiner[0].lower() in ("a", "an", "this", "each", "every") or words[0] in ("a", "an")
    return singular and len(_bare(m.group(1))) > 1 and _plural(words[-1])


def _bare(phrase: str) -> list[str]:
    """The words of a noun phrase, its article left out."""
    words = phrase.split()
    return words[1:] if words[0] in ("a", "an") else words


def _noun_phrase(words: list[str]) -> bool:
    """Whether the words after "the" read as a noun phrase: no adjective-like or quantity word first, the last no
    participle or adverb, the ones before it no verb in -s ("the sun rises")."""
    if words[0] in _NOT_NOUN or words[-1] in _NOT_NOUN or words[-1].endswith(("ed", "ly", "ing")):
        return False
    if words[-1] in _FUNCTION_WORDS:  # "a proton and a neutron": "and" is no noun
        return False
    if any(w.endswith(("ed", "ing")) for w in words[1:-1]):  # "the practice lasted": a noun and its verb
        return False
    return all(not _plural(w) and not w.endswith("ly") and w not in ("and", "or", "but") for w in words[:-1])
