"""Constrained greedy decoding, verified against a draft so that most bytes cost no decoder step.

Restoring diacritics changes letters, never the text's skeleton: every output character is
a variant of the input character at the same place (`a` -> `ấ`, `d` -> `đ`) or, for OCR
input, of what an OCR engine misreads as it (`4` -> `ã`, `1` -> `l`); a word training has
seen becomes one of the forms training saw. Decoding is constrained to exactly that, so a
weak or confused model can pick a wrong mark but never drops, repeats or invents a word,
and every consonant, digit and space is forced without consulting the model.

Each byte is chosen by the model's log-probability plus `prior_weight` times the lexicon's
prior (lexicon.py): shallow fusion of the model with counts of which token (a word, a
punctuation mark) follows which two, which a small model trained on a CPU badly needs. With
`prior_weight` 0 it is the model's own constrained greedy output.

Speed comes from input-guided aggressive decoding (Ge et al. 2022): the decoder reads a
whole draft of the output in one parallel pass, and every draft byte that the fused argmax
agrees with is accepted; at the first disagreement the chosen byte is taken and the rest is
re-drafted. The result is byte for byte the one-byte-at-a-time output, with one decoder pass
per disagreement instead of one per byte; a KV cache keeps each pass to the bytes it drafts.
The draft holds each word's form with the highest prior, so it is mostly right before the
model sees it.

Most words need no model at all: where the prior alone is sure of a word's form (`Row.settle`,
`infer.sure_prior`), the word takes it, and the model reads only the stretches around the
other words, with a few settled words each side for context. On stripped dev text, with the
shipped model's settings, that leaves it 6% of the characters of legal text and 16% of news.
"""
import bisect
import math

import numpy as np

from .lexicon import Lexicon
from .prior import Line
from .vietnamese import WORD

START, EOS, OFFSET = 0, 1, 3  # ByT5: pad 0 (also the decoder start), eos 1, unk 2, then byte b is b + 3
# Bytes drafted per pass: with the KV cache a pass costs what it reads, and a draft is wasted
# past its first disagreement. On 20 dev documents per set, 16 to 96 restored all sets in 52-57 s.
DRAFT_BYTES = 48


class Row:
    """One chunk being decoded: what it may become (prior.Line), and what it has emitted so far."""

    def __init__(self, source: str, lexicon: Lexicon, mode: str, prior_weight: float = 0.0,
                 known: dict[int, tuple[str, ...]] | None = None, doubt: tuple[float, float] = (1.0, 1.0),
                 noise: float = 0.0):
        """Arguments as prior.Line's."""
        self.source, self.doubt, self.noise = source, doubt, noise
        self.line = Line(source, lexicon, mode, prior_weight, known, doubt, noise)
        self.out: list[str] = []  # emitted characters, one per input character
        self.pending = b""  # bytes emitted of the next character
        self.tokens: list[int] = []
        self.confidence: list[float] = []  # per character: the probability of its choice
        self._p = 1.0
        self.done = False

    def _next(self) -> dict[int, float]:
        """The bytes allowed next, each with the prior mass of the live forms it leads to (0.0
        for every byte where no known word is being restored)."""
        k, n = len(self.out), len(self.pending)
        if k == len(self.source):
            return {EOS: 0.0}
        live = self.line.live(k, self.out)
        if not live:
            return {c.encode()[n] + OFFSET: 0.0 for c in self.line.options[k] if c.encode().startswith(self.pending)}
        start, mass = self.line.spans[self.line.word_at[k]][0], {}
        for form, lp in live.items():
            b = form[k - start].encode()
            if b.startswith(self.pending):
                mass[b[n] + OFFSET] = mass.get(b[n] + OFFSET, 0.0) + math.exp(lp)
        return mass

    def allowed(self) -> list[int]:
        return sorted(self._next())

    def step(self, logits) -> int:
        """Emit the best allowed byte under the model's `logits` for this position (any runtime's
        array) plus the weighted prior (no logits needed where one byte is allowed). Returns it."""
        mass = self._next()
        allowed = sorted(mass)
        if len(allowed) == 1:
            token, p = allowed[0], 1.0
        else:
            scores = np.asarray(logits, np.float32)[allowed]
            if self.line.prior_weight and mass[allowed[0]]:
                scores = (scores - scores.max() - np.log(np.exp(scores - scores.max()).sum())
                          + self.line.prior_weight * np.log(np.array([mass[t] for t in allowed], np.float32)))
            probs = np.exp(scores - scores.max())
            probs /= probs.sum()
            best = int(probs.argmax())
            token, p = allowed[best], float(probs[best])
        self.push(token, p)
        return token

    def push(self, token: int, p: float) -> None:
        self.tokens.append(token)
        self._p *= p
        if token == EOS:
            self.done = True
            return
        self.pending += bytes([token - OFFSET])
        char = self.pending.decode("utf-8", errors="ignore")
        if char and char.encode() == self.pending:  # UTF-8 is prefix-free: the character is whole
            self.out.append(char)
            self.confidence.append(self._p)
            self.pending, self._p = b"", 1.0

    def settle(self, sure: float, context: int) -> list[tuple[int, int, dict[int, tuple[str, ...]]]]:
        """Give every word whose form the prior alone is `sure` of (its probability given the
        words chosen before it and every word after it) that form without the model, as every
        character with one option. Returns what the model must still decode: (start, end, the
        forms of the words inside by their offset, one for a settled word) for each stretch around
        the other words, widened by `context` words each side; settled, these hold the trigram's
        context fixed."""
        if sure >= 1 or not self.line.prior_weight:
            # The model decodes all of it; the gaps between the pieces it is cut into stay as written.
            self.out, self.confidence, self.done = list(self.source), [1.0] * len(self.source), True
            return [(0, len(self.source), {start: forms for start, _, forms in self.line.spans})]
        starts = [start for start, _, _ in self.line.spans]
        out, confidence, unsure, settled = [], [], [], {}
        for k, ch in enumerate(self.source):
            w = self.line.word_at[k]
            if w is None:
                out.append(ch)
                confidence.append(1.0)
                if len(self.line.options[k]) > 1:  # a word training never saw, or an OCR misreading
                    unsure.append(bisect.bisect_right(starts, k) - 1)
                continue
            start = self.line.spans[w][0]
            if k == start:
                live = self.line.live(k, out)
                form = max(live, key=live.get)  # settled or not, the words after it read it as context
                p = math.exp(live[form])  # a share of 1: no prefix of the word is chosen yet
                if p >= sure:
                    settled[k] = form
                else:
                    unsure.append(w)
            out.append(form[k - start])
            confidence.append(p)
        self.out, self.confidence, self.done = out, confidence, True
        stretches, words = [], [w for w, (start, _, _) in enumerate(self.line.spans) if WORD.match(self.source, start)]
        for w in dict.fromkeys(unsure):
            i = bisect.bisect_left(words, w)  # context counts words: punctuation is context only beside them
            start = self.line.spans[words[i - context]][0] if i - context > 0 else 0
            end = self.line.spans[words[i + context]][1] if i + context < len(words) - 1 else len(self.source)
            if stretches and start <= stretches[-1][1]:
                start = stretches.pop()[0]
            stretches.append((start, end))
        forms = {start: (settled[start],) if start in settled else forms for start, _, forms in self.line.spans}
        return [(s, e, {k - s: f for k, f in forms.items() if s <= k < e}) for s, e in stretches]

    def take(self, start: int, part: "Row") -> None:
        """Write the output of `part`, decoded from `self.source[start:...]`, into this row."""
        self.out[start:start + len(part.out)] = part.out
        self.confidence[start:start + len(part.confidence)] = part.confidence

    def draft(self, limit: int) -> list[int]:
        """The likeliest next `limit` bytes of the output (fewer, then EOS, where it ends) given what
        is emitted: each word's form with the highest prior (the most frequent one without a
        prior), other characters as they are."""
        out, size = list(self.out), -len(self.pending)
        for k in range(len(out), len(self.source)):
            if size >= limit:
                break
            head = k == len(self.out)  # the character being emitted must go on from its pending bytes
            live = self.line.live(k, out)
            if live:
                start = self.line.spans[self.line.word_at[k]][0]
                fits = [f for f in live if not head or f[k - start].encode().startswith(self.pending)]
                out.append(max(fits, key=live.get)[k - start])  # ties: the more frequent form
            else:
                out.append(next(c for c in self.line.options[k] if not head or c.encode().startswith(self.pending)))
            size += len(out[-1].encode())
        rest = "".join(out[len(self.out):]).encode()[len(self.pending):]
        return [b + OFFSET for b in rest[:limit]] + (
            [EOS] if len(out) == len(self.source) and len(rest) <= limit else [])

    def word_confidence(self) -> list[float]:
        """Per space-separated word of the source, the lowest confidence of its characters."""
        words, current = [], None
        for ch, p in zip(self.source, self.confidence):
            if ch.isspace():
                if current is not None:
                    words.append(current)
                current = None
            else:
                current = p if current is None else min(current, p)
        return words + ([current] if current is not None else [])

    @property
    def text(self) -> str:
        return "".join(self.out)


def decode(session, rows: list[Row]) -> int:
    """Constrained greedy decoding of `rows`, one per text of the backend's `session` (backends.py),
    in place. Returns decoder passes.

    Each pass reads, for every row still going, what is new: the bytes it accepted beyond the
    slowest row, and a draft of DRAFT_BYTES. Past a disagreement a draft is wasted, and OCR text
    disagrees often."""
    passes = 0
    while True:
        active = [i for i, row in enumerate(rows) if not row.done]
        if not active:
            return passes
        # Position p of a row's decoder input holds its byte p - 1 (0: the start token); a row has
        # been fed all its bytes but the last, which the model chose where it read the draft's.
        keep = min(len(rows[i].tokens) for i in active)
        drafts = [rows[i].draft(DRAFT_BYTES) for i in active]
        inputs = [([START] + rows[i].tokens)[keep:] + d for i, d in zip(active, drafts)]
        logits = session.logits(active, inputs, keep)
        passes += 1
        for k, (i, draft) in enumerate(zip(active, drafts)):
            row, start = rows[i], len(rows[i].tokens) - keep
            for j in range(len(draft) + 1):  # past a draft accepted whole, the model's next byte is free
                if row.step(logits[k, start + j]) != (draft[j] if j < len(draft) else None) or row.done:
                    break
