"""The words a word site exchanges: sets of words that fill the same slot of a sentence, each turning a true statement
into a false one of the same shape, and the guards that keep every member grammatical where it stands.

A set is written ``word word …`` (two or more members, the same part of speech and grammatical number), with the
text it is for (math solutions, prose passages, or both), its class and, where a member has another sense, what may
follow it. What the rules promise, because a policy learns from every option:

- **symmetric**: the guard belongs to the set, never to one member, so a slot is a site whatever member the truth
  holds there: the options alone never tell which member was written;
- **grammatical**: no member has a sense the others lack where it stands ("as long as", "at least", "left" the verb,
  "even if", "base quantities", "One example is …"): a set whose members are not interchangeable in a slot has a
  guard (`follows`: the next word must be one of these) or is not in the list;
- **wrong in context, not only in memory**: opposites of meaning (increases/decreases, numerator/denominator,
  absorbs/emits) and mutually exclusive kinds (protons/neutrons/electrons); no numbers in prose, no ordinals, no
  hedges (always/never, can/cannot, a negation), whose truth is a matter of recall or of degree;
- a member is never inside a hyphenated word (counter-clockwise), never a capitalised name in mid-sentence (North
  America), and a preceding "a"/"an" follows the member written.

`CLASS` groups the sets whose flips can undo each other in one sentence (two comparatives: "as T increases, P
increases" is still true with both flipped): a sentence holds at most one site of a coupled class (see
rlvrkit.mask.sites).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# text: "math", "prose" or "any"; cls: scale (comparatives and change), place (position and direction), sign
# (opposed processes and properties), kind (mutually exclusive kinds), math (terms of mathematics).
SETS_TEXT = """
any   scale  more less                         | not_after=or|no|any|once|the|and|much|even|far
any   scale  greater_than less_than equal_to
any   scale  higher lower
any   scale  highest lowest
any   scale  larger smaller
any   scale  largest smallest
any   scale  greatest least                     | not_follows=common
any   scale  at_least at_most
any   scale  increase decrease
any   scale  increases decreases
any   scale  increased decreased
any   scale  increasing decreasing
any   scale  maximum minimum
any   scale  maximize minimize
any   scale  maximal minimal
any   scale  faster slower
any   scale  stronger weaker
any   scale  heavier lighter
any   scale  longer shorter                    | not_after=no|any
any   scale  hotter colder
any   scale  warmer cooler
any   scale  brighter fainter
any   scale  closer farther                    | not_follows=look|inspection|examination
any   scale  high low                          | not_follows=school
any   scale  large small                       | not_after=at|by
any   scale  rises falls
any   scale  rising falling
any   scale  expands contracts
any   scale  expansion contraction
any   scale  gains loses
any   scale  heats cools
any   scale  heating cooling
any   scale  heated cooled
any   scale  directly inversely                 | follows=proportional|related|varies|vary
any   place  inside outside
any   place  inner outer
any   place  internal external
any   place  interior exterior
any   place  inward outward
any   place  upward downward
any   place  horizontal vertical
any   place  horizontally vertically
any   place  clockwise counterclockwise
any   place  left right                         | after=the|its|their|to|his|her|our; not_follows=angle|angles|
                                                 triangle|triangles|angled|hand|of
any   place  above below                        | not_after=as|shown|see|listed|described|given|discussed|mentioned|
                                                 the; word_follows
any   place  before after                       | not_after=as|shortly|soon|long|ever|than|day|year|
                                                 the; not_follows=all|long|that; word_follows
any   place  north south                        | lower
any   place  east west                          | lower
any   sign   positive negative                  | not_after=false|true
any   sign   positively negatively
prose sign   absorb emit
prose sign   absorbs emits
prose sign   absorbed emitted
prose sign   absorbing emitting
prose sign   absorption emission
prose sign   attract repel
prose sign   attracts repels
prose sign   attractive repulsive
prose sign   attraction repulsion
prose sign   anode cathode
prose sign   anodes cathodes
prose sign   cation anion
prose sign   cations anions
prose sign   exothermic endothermic
prose sign   oxidizing reducing                 | follows=agent|agents
prose sign   oxidation reduction                | follows=reaction|reactions|state|states|number|numbers|potential|
                                                 potentials|half-reaction
prose sign   acidic basic                       | follows=solution|solutions|conditions|environment|environments|
                                                 medium|pH|side
prose sign   hydrophobic hydrophilic
prose sign   aerobic anaerobic
prose sign   prokaryotic eukaryotic
prose sign   prokaryotes eukaryotes
prose sign   prokaryote eukaryote
prose sign   gram-positive gram-negative
prose sign   DNA RNA
prose sign   mitosis meiosis
prose sign   innate adaptive                    | follows=immunity|immune|response|responses|defenses|defense
prose sign   kinetic potential                  | follows=energy|energies
prose sign   electric magnetic                  | follows=field|fields|force|forces|flux|dipole|dipoles
prose sign   conductor insulator
prose sign   conductors insulators
prose sign   stable unstable
prose sign   visible invisible                  | not_follows=light|spectrum|wavelengths|wavelength|region|band|
                                                 range|radiation
prose sign   transparent opaque
prose sign   endergonic exergonic
prose sign   hypertonic hypotonic
prose sign   saturated unsaturated               | follows=fat|fats|fatty|hydrocarbon|hydrocarbons|solution|
                                                 solutions|bond|bonds
prose kind   proton neutron electron            | not_follows=configuration|configurations|cloud|clouds|pair|pairs|
                                                 shell|shells|density|domain|domains|microscope|microscopy|
                                                 microscopes|transport|affinity|orbital|orbitals|gun|beam|spin
prose kind   protons neutrons electrons
prose kind   solids liquids gases
prose kind   bacteria viruses fungi
prose kind   bacterial viral fungal
prose kind   alpha beta gamma                   | follows=particle|particles|decay|radiation|ray|rays|emission|
                                                 emitter|emitters
prose kind   ionic covalent metallic            | follows=bond|bonds|bonding|compound|compounds|solid|solids|
                                                 character|crystal|crystals
math  math   numerator denominator
math  math   numerators denominators
math  math   sum product                        | follows=of|is
math  math   even odd                           | follows=number|numbers|integer|integers|digit|digits|function|
                                                 functions|power|powers|divisors|multiple|multiples|exponent|
                                                 exponents|terms|positions|places|,|.
math  math   prime composite                    | follows=number|numbers|integer|integers|,|.
math  math   rational irrational
math  math   real imaginary                     | follows=number|numbers|part|parts|root|roots|solution|solutions|
                                                 value|values|coefficients|axis|zero|zeros
math  math   convex concave
math  math   finite infinite
math  math   finitely infinitely
math  math   add subtract
math  math   adding subtracting
math  math   added subtracted
math  math   multiply divide                    | follows=by|both|each|the|this|that|it|these|them|everything|out
math  math   multiplying dividing               | follows=by|both|each|the|this|that|it|these|them|everything|out
math  math   multiplied divided                 | follows=by
math  math   permutations combinations
math  math   radius diameter
math  math   radii diameters
math  math   area perimeter                     | not_after=surface|lateral
math  math   row column
math  math   rows columns
math  math   sine cosine
math  math   acute obtuse
math  math   inscribed circumscribed
math  math   necessary sufficient
math  math   independent dependent              | not_follows=of|on|variable|variables
math  math   parallel perpendicular
math  math   consecutive alternate
math  math   ascending descending
math  math   numerically alphabetically
math  math   with_replacement without_replacement
"""


@dataclass(frozen=True)
class WordSet:
    """Words that fill one slot: `members` (multi-word members written with spaces), the texts the set is for, its
    class, and the guards of its slot: the word before must (`after`) or must not (`not_after`) be one of some words,
    the word after must (`follows`) or must not (`not_follows`) be; `word_follows`: a word must follow (a preposition,
    not an adverb at a clause's end); `lower`: only in lower case (a capital marks a name)."""

    members: tuple[str, ...]
    text: str
    cls: str
    after: frozenset = frozenset()
    not_after: frozenset = frozenset()
    follows: frozenset = frozenset()
    not_follows: frozenset = frozenset()
    word_follows: bool = False
    lower: bool = False


def _parse(line: str) -> WordSet:
    head, _, guards = line.partition("|")
    text, cls, *members = head.split()
    found: dict = {}
    for guard in filter(None, (g.strip() for g in guards.split(";"))):
        name, _, words = guard.partition("=")
        found[name] = frozenset(words.lower().split("|")) if words else True
    return WordSet(tuple(m.replace("_", " ") for m in members), text, cls, **found)


SETS: tuple[WordSet, ...] = tuple(  # a line ending in "|" goes on in the next
    _parse(line) for line in re.sub(r"\|\n\s+", "|", SETS_TEXT).strip().splitlines()
)
MEMBER: dict[str, WordSet] = {m.lower(): s for s in SETS for m in s.members}
assert len(MEMBER) == sum(len(s.members) for s in SETS), "a word is in two sets"
WORD = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(m).replace(r"\ ", r"\s+") for m in sorted(MEMBER, key=len, reverse=True)) + r")"
    r"(?![\w-])",
    re.IGNORECASE,
)
_NEXT = re.compile(r"\s*([\w-]+|[,.;:])")
_PREVIOUS = re.compile(r"([\w-]+)\s*$")
_ARTICLE = re.compile(r"\b([Aa]n?)\s+$")


@dataclass(frozen=True)
class WordSlot:
    """A word of a text that a set can exchange: text[start:end] (a preceding article included, when there is one),
    the text each member of the set puts there (the written one first), and the set."""

    start: int
    end: int
    values: tuple[str, ...]
    words: WordSet

    @property
    def written(self) -> str:
        """The member written there, in lower case."""
        return self.words.members[[m.lower() for m in self.words.members].index(_bare(self.values[0]))]


def _bare(value: str) -> str:
    """A slot's value without its article, in lower case."""
    return " ".join(re.sub(r"^(?:an?|An?)\s+", "", value).lower().split())


def _fits(s: WordSet, text: str, m: re.Match, sentence_start: bool) -> bool:
    word = m.group()
    before = _PREVIOUS.search(text[max(0, m.start() - 40) : m.start()])
    after = _NEXT.match(text, m.end())
    prev, nxt = (before.group(1).lower() if before else ""), (after.group(1) if after else "")
    if (s.after and prev not in s.after) or prev in s.not_after:
        return False
    if (s.follows and nxt.lower() not in s.follows) or nxt.lower() in s.not_follows:
        return False
    if s.word_follows and not re.match(r"\w", nxt):
        return False
    capitalised = word[0].isupper() and not word.isupper()
    if capitalised and (s.lower or not sentence_start):
        return False
    return "\n" not in word


def _written(member: str, like: str) -> str:
    """`member` in the case `like` is written in (DNA stays DNA)."""
    if member.isupper() or like.islower():
        return member
    if like.isupper() and len(like) > 1:
        return member.upper()
    return member[0].upper() + member[1:] if like[0].isupper() else member


def an(word: str) -> str:
    """The article before `word`."""
    w = word.lower()
    vowel = w[:1] in "aeio" or (w.startswith("u") and not w.startswith(("uni", "use", "usu", "uti")))
    return "an" if vowel or w[:1] in "8" else "a"


def word_slots(text: str, kind: str, starts: frozenset = frozenset()) -> list[WordSlot]:
    """Every slot of `text` (prose with its math blanked out, same offsets) a word set of `kind` ("math" or
    "prose") can exchange. `starts`: the offsets where a sentence begins (a capital there is no name)."""
    out = []
    for m in WORD.finditer(text):
        s = MEMBER[" ".join(m.group().lower().split())]
        if s.text not in ("any", kind) or not _fits(s, text, m, m.start() in starts):
            continue
        start, values = m.start(), [_written(v, m.group()) for v in s.members]
        values.insert(0, values.pop([v.lower() for v in values].index(" ".join(m.group().lower().split()))))
        article = _ARTICLE.search(text[max(0, start - 4) : start])
        if article:
            start -= len(text[max(0, m.start() - 4) : m.start()]) - article.start()
            cap = article.group(1)[0].isupper()
            values = [f"{an(v).capitalize() if cap else an(v)} {v}" for v in values]
        out.append(WordSlot(start, m.end(), tuple(values), s))
    return out
