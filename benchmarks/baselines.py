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
    """Syllable trigram LM with stupid backoff; Viterbi over the accented forms seen in training."""

    name = "syllable trigram"

    def __init__(self, lines, max_candidates: int = 8):
        self.forms = defaultdict(Counter)
        self.uni, self.bi, self.tri = Counter(), Counter(), Counter()
        for line in lines:
            toks = [t.lower() for t in _TOKEN.findall(line)]
            for t in toks:
                self.forms[_key(t)][t] += 1
            seq = [BOS, BOS] + toks
            self.uni.update(toks)
            self.bi.update(zip(seq[1:], seq[2:]))
            self.tri.update(zip(seq, seq[1:], seq[2:]))
        self.total = sum(self.uni.values())
        self.candidates = {k: [f for f, _ in c.most_common(max_candidates)] for k, c in self.forms.items()}
        self.bi_ctx = Counter()
        for (a, _), n in self.bi.items():
            self.bi_ctx[a] += n
        self.tri_ctx = Counter()
        for (a, b, _), n in self.tri.items():
            self.tri_ctx[(a, b)] += n

    def seen_share(self, lines) -> float:
        """Share of the trigrams of `lines` that occur in the training text: how familiar they are."""
        seen = total = 0
        for line in lines:
            seq = [BOS, BOS] + [t.lower() for t in _TOKEN.findall(line)]
            for tri in zip(seq, seq[1:], seq[2:]):
                seen += tri in self.tri
                total += 1
        return seen / max(total, 1)

    def logp(self, a: str, b: str, c: str) -> float:
        n = self.tri.get((a, b, c))
        if n:
            return math.log(n / self.tri_ctx[(a, b)])
        n = self.bi.get((b, c))
        if n:
            return math.log(0.4 * n / self.bi_ctx[b])
        return math.log(0.16 * (self.uni.get(c, 0) + 0.5) / self.total)

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
