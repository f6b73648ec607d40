"""Classical baselines: identity, most-frequent form, syllable trigram with Viterbi, pyvi.

Each baseline restores a whole document, keeping its whitespace. All but identity strip
the input first and see only the stripped text, as pyvi would.
"""
import math
import re
from collections import Counter, defaultdict

from vidiac.infer.vietnamese import cased
from vidiac.infer.vietnamese import strip_diacritics

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w+")
BOS = "<s>"


def _key(token: str) -> str:
    return strip_diacritics(token.lower())


def _apply(text: str, restore_tokens) -> str:
    """Restore each line's tokens and put them back where they stood."""
    out = []
    for line in text.split("\n"):
        spans = [m.span() for m in _TOKEN.finditer(line)]
        tokens = [line[a:b] for a, b in spans]
        restored = restore_tokens([t.lower() for t in tokens])
        pieces, last = [], 0
        for (a, b), src, new in zip(spans, tokens, restored):
            pieces += [line[last:a], cased(new, src)]
            last = b
        out.append("".join(pieces) + line[last:])
    return "\n".join(out)


class Baseline:
    def restore_many(self, texts: list[str]) -> list[str]:
        return [self.restore(t) for t in texts]


class Identity(Baseline):
    name = "identity"

    def restore(self, text: str) -> str:
        return text


class MostFrequent(Baseline):
    """Each stripped syllable becomes its most frequent accented form in training."""

    name = "most-frequent form"

    def __init__(self, forms: dict[str, Counter]):
        self.best = {k: c.most_common(1)[0][0] for k, c in forms.items()}

    def restore(self, text: str) -> str:
        return _apply(strip_diacritics(text), lambda toks: [self.best.get(_key(t), t) for t in toks])


class Trigram(Baseline):
    """Syllable trigram LM with interpolated Kneser-Ney (Chen and Goodman 1998, one discount an
    order, n1 / (n1 + 2 n2)); Viterbi over the accented forms seen in training."""

    name = "syllable trigram"

    def __init__(self, lines, max_candidates: int = 8):
        self.forms = defaultdict(Counter)
        self.counts, self.tri = Counter(), Counter()
        for line in lines:
            toks = [t.lower() for t in _TOKEN.findall(line)]
            for t in toks:
                self.forms[_key(t)][t] += 1
            self.counts.update(toks)
            seq = [BOS, BOS] + toks
            self.tri.update(zip(seq, seq[1:], seq[2:]))
        self.candidates = {k: [f for f, _ in c.most_common(max_candidates)] for k, c in self.forms.items()}
        self.total = sum(self.counts.values())
        # The lower orders count distinct left neighbours (continuations), not sightings.
        self.bi = Counter((b, c) for _, b, c in self.tri)
        self.uni = Counter(c for _, c in self.bi)
        self.pairs = len(self.bi)
        self.discounts = [_discount(n.values()) for n in (self.uni, self.bi, self.tri)]
        # Per context: its total and how many distinct tokens follow it.
        self.tri_ctx, self.tri_types = Counter(), Counter()
        for (a, b, _), n in self.tri.items():
            self.tri_ctx[(a, b)] += n
            self.tri_types[(a, b)] += 1
        self.bi_ctx, self.bi_types = Counter(), Counter()
        for (b, _), n in self.bi.items():
            self.bi_ctx[b] += n
            self.bi_types[b] += 1

    def prob(self, a: str, b: str, c: str) -> float:
        d1, d2, d3 = self.discounts
        # Unigram continuations interpolated with uniform over the vocabulary and one unknown token.
        p = (max(self.uni.get(c, 0) - d1, 0) + d1 * len(self.uni) / (len(self.uni) + 1)) / self.pairs
        if self.bi_ctx.get(b):
            p = (max(self.bi.get((b, c), 0) - d2, 0) + d2 * self.bi_types[b] * p) / self.bi_ctx[b]
        if self.tri_ctx.get((a, b)):
            p = (max(self.tri.get((a, b, c), 0) - d3, 0) + d3 * self.tri_types[(a, b)] * p) / self.tri_ctx[(a, b)]
        return p

    def logp(self, a: str, b: str, c: str) -> float:
        return math.log(self.prob(a, b, c))

    def seen_share(self, lines) -> float:
        """Share of the trigrams of `lines` that occur in the training text: how familiar they are."""
        seen = total = 0
        for line in lines:
            seq = [BOS, BOS] + [t.lower() for t in _TOKEN.findall(line)]
            for tri in zip(seq, seq[1:], seq[2:]):
                seen += tri in self.tri
                total += 1
        return seen / max(total, 1)

    def decode(self, tokens: list[str]) -> list[str]:
        states = {(BOS, BOS): (0.0, [])}
        for tok in tokens:
            cands = self.candidates.get(_key(tok), [tok])
            new = {}
            for (a, b), (score, path) in states.items():
                for c in cands:
                    s = score + self.logp(a, b, c)
                    if (b, c) not in new or s > new[(b, c)][0]:
                        new[(b, c)] = (s, path + [c])
            states = new
        return max(states.values(), key=lambda v: v[0])[1] if tokens else []

    def restore(self, text: str) -> str:
        return _apply(strip_diacritics(text), self.decode)


def _discount(counts) -> float:
    """Kneser-Ney's discount from how many n-grams were counted once and twice (Ney et al. 1994)."""
    seen = Counter(n for n in counts if n <= 2)
    return seen[1] / (seen[1] + 2 * seen[2]) if seen[1] else 0.5


class Pyvi(Baseline):
    """pyvi's ViUtils.add_accents on the stripped text; a line it raises on is kept as input."""

    name = "pyvi"

    def __init__(self):
        from pyvi import ViUtils

        self.add_accents = ViUtils.add_accents
        self.failures = 0

    def restore(self, text: str) -> str:
        out = []
        for line in strip_diacritics(text).split("\n"):
            try:
                out.append(self.add_accents(line) if line.strip() else line)
            except Exception:  # pyvi raises on some inputs; count it and keep the line
                self.failures += 1
                out.append(line)
        return "\n".join(out)
