"""Content-blind baselines over `rlvr mask` items: how often a rule that never reads the question picks the answer.

    python bench/shortcuts.py [FILE ...]        (mask output; stdin when no file is named)
    rlvr mask -i math_train.jsonl | python bench/shortcuts.py

A policy trained on the items learns whatever pays first; a rule that finds the hidden span without understanding the
text is such a shortcut. Each rule below sees the options (and, for the overlap rules, the text shown around the
[MASK]) and picks one; its accuracy is printed beside chance (1/options). Ties share the credit: a rule that cannot
tell three options apart scores 1/3 on that item, never a lucky first pick.

- similar (words) / similar (chars): the option with the highest mean similarity to the other options (difflib's
  ratio over word tokens; the Dice overlap of character 4-grams): the truth is the centre when every distractor is
  an edit of it;
- dissimilar (words): the lowest, the other side of the same statistic (an over-corrected generator);
- token vote: each option's distinct tokens scored by how many options hold them, averaged;
- overlap / overlap (bigrams) / overlap (trigrams): the largest share of the option's distinct words (word pairs,
  triples) found in the visible text; least overlap, the smallest;
- longest, shortest (characters); fewest digits (a true computation often comes out "nicer");
- bag of words: a conditional logistic regression (softmax over an item's options) on the options' word and
  word-pair counts, trained on half the items and scored on the other half, then the halves swapped; options only,
  never the question;
- structure: the same model over each option's rank within its item by every statistic above (length, similarity,
  vote, overlap, digits): a learned combination of the content-blind rules.

`audit(records)` returns {rule: accuracy} and `CHANCE`; tests/test_mask.py asserts bounds on it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable

_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z]+|\d+|[^\sA-Za-z\d]")
CHANCE = "chance"


class Item:
    """One mask item as the baselines see it: its options, the index of the truth, the text shown around the mask."""

    def __init__(self, rec: dict):
        from string import ascii_uppercase

        self.options: list[str] = rec["meta"]["options"]
        self.truth = ascii_uppercase.index(rec["answer"])
        self.visible = rec["prompt"].rsplit("\nOptions:\n", 1)[0]
        self.tokens = [_TOKEN.findall(o.lower()) for o in self.options]
        self.similarity: list[float] | None = None  # similar (words), read by two rules


def credit(scores: list[float], truth: int) -> float:
    """1/(number of options tied for the best score) when the truth is among them, else 0."""
    best = max(scores)
    tied = [i for i, s in enumerate(scores) if math.isclose(s, best, rel_tol=1e-12, abs_tol=1e-12)]
    return 1 / len(tied) if truth in tied else 0.0


# -- the rules: each maps an item to one score per option (the highest is picked) -------------------------------------


def _mean_similarity(seqs: list, ratio: Callable) -> list[float]:
    """Each sequence's mean similarity to the others (each pair compared once)."""
    n = len(seqs)
    sums = [0.0] * n
    for i in range(n):
        for j in range(i + 1, n):
            r = ratio(seqs[i], seqs[j])
            sums[i] += r
            sums[j] += r
    return [s / max(n - 1, 1) for s in sums]


def _difflib(a: list, b: list) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _dice(a: Counter, b: Counter) -> float:
    return 2 * sum((a & b).values()) / max(sum(a.values()) + sum(b.values()), 1)


def similar_words(item: Item) -> list[float]:
    if item.similarity is None:
        item.similarity = _mean_similarity(item.tokens, _difflib)
    return item.similarity


def similar_chars(item: Item) -> list[float]:
    grams = [Counter(o[k : k + 4] for k in range(len(o) - 3)) for o in item.options]
    return _mean_similarity(grams, _dice)


def dissimilar_words(item: Item) -> list[float]:
    return [-s for s in similar_words(item)]


def token_vote(item: Item) -> list[float]:
    held = Counter(t for tokens in item.tokens for t in set(tokens))
    return [sum(held[t] for t in set(tokens)) / max(len(set(tokens)), 1) for tokens in item.tokens]


def _visible(item: Item, n: int) -> set:
    words = _TOKEN.findall(item.visible.lower())
    return set(zip(*[words[k:] for k in range(n)]))


def _overlap(item: Item, n: int) -> list[float]:
    seen = _visible(item, n)
    out = []
    for tokens in item.tokens:
        grams = set(zip(*[tokens[k:] for k in range(n)]))
        out.append(len(grams & seen) / max(len(grams), 1))
    return out


def overlap(item: Item) -> list[float]:
    return _overlap(item, 1)


def overlap_bigrams(item: Item) -> list[float]:
    return _overlap(item, 2)


def overlap_trigrams(item: Item) -> list[float]:
    return _overlap(item, 3)


def least_overlap(item: Item) -> list[float]:
    return [-s for s in overlap(item)]


def longest(item: Item) -> list[float]:
    return [float(len(o)) for o in item.options]


def shortest(item: Item) -> list[float]:
    return [-float(len(o)) for o in item.options]


def fewest_digits(item: Item) -> list[float]:
    return [-float(sum(c.isdigit() for c in o)) for o in item.options]


RULES: dict[str, Callable[[Item], list[float]]] = {
    "similar (words)": similar_words,
    "similar (chars)": similar_chars,
    "dissimilar (words)": dissimilar_words,
    "token vote": token_vote,
    "overlap": overlap,
    "overlap (bigrams)": overlap_bigrams,
    "overlap (trigrams)": overlap_trigrams,
    "least overlap": least_overlap,
    "longest": longest,
    "shortest": shortest,
    "fewest digits": fewest_digits,
}
STRUCTURE = ("similar (words)", "similar (chars)", "token vote", "overlap", "overlap (bigrams)", "longest")
STRUCTURE += ("fewest digits",)


# -- learned rules: a softmax over an item's options, trained on half the items ---------------------------------------


def bag_of_words(item: Item) -> list[Counter]:
    """Each option's word and word-pair counts (shared ones cancel in the softmax: what differs is learned)."""
    return [Counter(tokens) + Counter(zip(tokens, tokens[1:])) for tokens in item.tokens]


def structure(item: Item, scores: dict[str, list[float]]) -> list[Counter]:
    """Each option's rank (0 = lowest, ties averaged) within its item by every statistic, as features."""
    out = [Counter() for _ in item.options]
    for name in STRUCTURE:
        values = scores[name]
        for i, v in enumerate(values):
            below = sum(w < v for w in values) + sum(w == v for w in values) / 2 - 0.5
            out[i][name] = below / max(len(values) - 1, 1)
            out[i][name + " top"] = float(v == max(values))
            out[i][name + " bottom"] = float(v == min(values))
    return out


def train(examples: list[tuple[list[Counter], int]], epochs: int = 8, rate: float = 0.5, l2: float = 1e-4) -> Counter:
    """Conditional logistic regression by stochastic gradient: weights that make the truth's score the highest."""
    weights: Counter = Counter()
    order = list(range(len(examples)))
    rng = random.Random(0)
    for epoch in range(epochs):
        rng.shuffle(order)
        step = rate / (1 + epoch)
        for k in order:
            feats, truth = examples[k]
            scores = [sum(weights[f] * v for f, v in x.items()) for x in feats]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            for x, e in zip(feats, exps):
                for f, v in x.items():
                    weights[f] -= step * (e / total) * v
            for f, v in feats[truth].items():
                weights[f] += step * v
        for f in list(weights):
            weights[f] *= 1 - l2
    return weights


def learned(examples: list[tuple[list[Counter], int]]) -> float:
    """Accuracy of the model trained on one half and scored on the other, both ways round."""
    half = len(examples) // 2
    right = 0.0
    for fit, held in ((examples[:half], examples[half:]), (examples[half:], examples[:half])):
        weights = train(fit)
        for feats, truth in held:
            right += credit([sum(weights[f] * v for f, v in x.items()) for x in feats], truth)
    return right / max(len(examples), 1)


# -- the audit --------------------------------------------------------------------------------------------------------


def audit(records: Iterable[dict]) -> dict[str, float]:
    """{rule: accuracy over the items} for every rule, the two learned ones and chance."""
    items = [Item(r) for r in records]
    if not items:
        return {}
    right: Counter = Counter()
    words, ranks = [], []
    for item in items:
        scores = {name: rule(item) for name, rule in RULES.items()}
        for name, values in scores.items():
            right[name] += credit(values, item.truth)
        words.append((bag_of_words(item), item.truth))
        ranks.append((structure(item, scores), item.truth))
    out = {name: right[name] / len(items) for name in RULES}
    shuffled = random.Random(1).sample(range(len(items)), len(items))  # halves that do not follow the input's order
    out["bag of words"] = learned([words[i] for i in shuffled])
    out["structure"] = learned([ranks[i] for i in shuffled])
    out[CHANCE] = sum(1 / len(item.options) for item in items) / len(items)
    return out


def report(name: str, found: dict[str, float], n: int) -> str:
    lines = [f"{name}: {n} items, chance {found[CHANCE]:.1%}"]
    worst = max((v, k) for k, v in found.items() if k != CHANCE)
    for rule, value in found.items():
        if rule != CHANCE:
            lines.append(f"  {rule:<20} {value:6.1%}")
    lines.append(f"  worst: {worst[1]} {worst[0]:.1%}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="mask output (JSON Lines); stdin when none")
    args = parser.parse_args()
    for name in args.files or ["-"]:
        stream = sys.stdin if name == "-" else open(name)
        records = [json.loads(line) for line in stream if line.strip()]
        print(report("stdin" if name == "-" else name, audit(records), len(records)))


if __name__ == "__main__":
    main()
