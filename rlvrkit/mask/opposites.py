"""The words a prose swap exchanges (mask's word distractors): pairs whose exchange turns a true statement into a
false one of the same shape. Each pair works both ways; a word in several pairs takes its first partner.

Kept to swaps that are never an equivalent rewriting of the sentence: comparatives and directions, opposed
processes, and paired terms of mathematics and the sciences a textbook keeps apart (numerator/denominator,
prokaryotic/eukaryotic, anode/cathode, …), plus number words (two/three) and the negation of an auxiliary
("is" → "is not", "does not" → "does").
"""

from __future__ import annotations

import re

PAIRS = """
more less | increase decrease | increases decreases | increased decreased | increasing decreasing | greater less |
greatest least | larger smaller | largest smallest | fewer more | higher lower | highest lowest | maximum minimum |
positive negative | even odd | add subtract | adding subtracting | added subtracted | sum product |
numerator denominator | left right | above below | before after | inside outside | absorb emit | absorbs emits |
absorbed emitted | absorption emission | gain lose | gains loses | rises falls | rise fall | heats cools |
warmer cooler | hotter colder | faster slower | stronger weaker | clockwise counterclockwise |
horizontal vertical | parallel perpendicular | multiply divide | multiplying dividing | multiplied divided |
squared cubed | prime composite | rational irrational | acidic basic | acid base | acids bases |
oxidation reduction | oxidized reduced | anode cathode | exothermic endothermic | attract repel |
attracts repels | inner outer | aerobic anaerobic | prokaryotic eukaryotic | prokaryotes eukaryotes |
expands contracts | expand contract | always never | can cannot | north south | east west | inward outward |
internal external | long short | longer shorter | heavier lighter | denser thinner | high low | large small |
closer farther | nearer farther | older younger | earlier later | first last | cation anion | cations anions |
protons electrons | proton electron | covalent ionic | polar nonpolar | solid liquid | liquids gases |
kinetic potential | electric magnetic | series parallel | DNA RNA | bacteria viruses | bacterial viral |
host pathogen | stars planets | star planet | red blue | visible invisible | transparent opaque |
conductor insulator | conductors insulators | attractive repulsive | stable unstable | constant variable |
linear quadratic | sine cosine | convex concave | minimize maximize | decreasing increasing | inverse direct |
directly inversely | independent dependent | necessary sufficient | finite infinite | real imaginary |
""".replace("\n", " ")
NUMBER_WORDS = (
    "one two | two three | three four | four five | five six | six seven | seven eight | eight nine | nine ten"
)

SWAPS: dict[str, str] = {}
for _pair in (PAIRS + "|" + NUMBER_WORDS).split("|"):
    if _pair.strip():
        _a, _b = _pair.split()
        SWAPS.setdefault(_a.lower(), _b.lower())
        SWAPS.setdefault(_b.lower(), _a.lower())

WORD = re.compile(r"\b(" + "|".join(sorted(SWAPS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
NEGATION = re.compile(  # not after "nor" or in a question's inversion ("does it"), where "not" cannot go
    r"(?<!\bnor )\b(is|are|was|were|does|do|did|has|have|will|would|should|must)( not)?\b(?!n't)"
    r"(?!\s+(?:it|he|she|they|we|you|I|this|that|there|not)\b)"
)


def swapped(word: str) -> str:
    """The partner of `word` (a key of SWAPS, any case), in the case `word` is written in."""
    new = SWAPS[word.lower()]
    return new.upper() if word.isupper() and len(word) > 1 else new.capitalize() if word[0].isupper() else new


def negated(match: re.Match) -> str:
    """ "is" → "is not", "is not" → "is" (a NEGATION match)."""
    return match.group(1) if match.group(2) else f"{match.group(1)} not"
