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
import functools
import itertools
import math
import re

import numpy as np

from .lexicon import TOKEN, Lexicon, options
from .vietnamese import may_be_syllable, set_tone_style, strip_diacritics

# Marks doubted this little (infer.mark_doubt, restorer.py) are trusted over the lexicon: a marked
# syllable it never saw stays as written. Tesseract `vie` on the dev ladder: 0.001-0.03 down to
# copies of copies, 0.05-0.07 for faxes.
TRUSTED = 0.03
START, EOS, OFFSET = 0, 1, 3  # ByT5: pad 0 (also the decoder start), eos 1, unk 2, then byte b is b + 3
WORD = re.compile(r"[^\W_]+")  # words: letters and digits (`năm 2024`)
# Bytes drafted per pass: with the KV cache a pass costs what it reads, and a draft is wasted
# past its first disagreement. On 20 dev documents per set, 16 to 96 restored all sets in 52-57 s.
DRAFT_BYTES = 48


def left_as_written(token: str, lexicon: Lexicon) -> bool:
    """Whether skeleton decoding leaves `token` (a word, as TOKEN finds them) as written: the
    lexicon does not know it, and it can be neither one Vietnamese syllable nor a code in capitals
    (`CDN` -> `CĐN`). That is an OCR misreading the corrector could not place (`ho4c`, `chife`) or
    a foreign name (`Becky`): marks alone never make it right, and the model reading it and its
    neighbours took a third of the time on OCR text."""
    return (bool(lexicon.forms) and any(c.isalpha() for c in token) and not token.isupper()
            and not may_be_syllable(token) and not lexicon.candidates(token, "skeleton"))


def _marked(token: str) -> bool:
    return strip_diacritics(token) != token


@functools.lru_cache(maxsize=1 << 16)  # the forms of a text's words, again and again
def folded(word: str) -> str:
    """`word` with its tone marks placed traditionally: hoà and hòa are one written form."""
    return set_tone_style(word, "traditional")


def trusted_as_written(token: str, lexicon: Lexicon, doubt: float) -> bool:
    """Whether skeleton decoding keeps `token` as written because its marks are trusted (`doubt`
    of marked words at most TRUSTED) and make a syllable the lexicon never saw (`cống` in `cống
    qua đê`): it has no form to become that would be truer than what the engine read."""
    if doubt > TRUSTED or not _marked(token) or not may_be_syllable(token) or not lexicon.forms:
        return False
    written = folded(token.lower())
    return all(folded(f.lower()) != written for f in lexicon.candidates(token, "skeleton"))


def _evidence(token: str, forms: tuple[str, ...], doubt: tuple[float, float]) -> np.ndarray | None:
    """Per form of `token` (both lowercase), 1 for the form it is written as and its doubt (marked or
    not) for the others; None where it is written as none of its forms (either tone placement)."""
    weight = doubt[0] if _marked(token) else doubt[1]
    written = folded(token)
    hits = [folded(f) == written for f in forms]
    return np.array([1.0 if hit else weight for hit in hits]) if weight < 1 and any(hits) else None


class Row:
    """One chunk being decoded: what it may become, and what it has emitted so far."""

    def __init__(self, source: str, lexicon: Lexicon, mode: str, prior_weight: float = 0.0,
                 known: dict[int, tuple[str, ...]] | None = None, doubt: tuple[float, float] = (1.0, 1.0)):
        """`doubt`: the weight of a form other than the one a word is written as, for a word
        written with marks and for one written without (1: the writing is no evidence, as the
        missing marks of stripped text are not)."""
        self.source, self.doubt = source, doubt
        self.lexicon = lexicon
        self.prior_weight = prior_weight if lexicon.total else 0.0  # a lexicon without counts has no prior
        self.options = [options(c, mode) for c in source]
        # Each token of the source (a word, or a punctuation mark) and the forms it may take: a word
        # the lexicon knows, one of its forms; a token with no letter to choose (`2024`, `,`) none.
        self.spans: list[tuple[int, int, tuple[str, ...]]] = []
        # The forms of each token in lowercase, as the lexicon counts them: a token with no letter
        # to choose is its own form; one the lexicon does not know has none, and cuts the chain
        # (a form it never saw would score 0 for every form before it).
        self.keys: list[tuple[str, ...]] = []
        self.word_at: list[int | None] = [None] * len(source)  # the span of a character inside a known word
        # How a word is written is evidence of its form (a noisy channel): an OCR engine with a
        # Vietnamese model, or a typist, mostly writes the marks right, and leaves none off, so
        # every other form of the word weighs `doubt`. Where it may be written either way (stripped
        # text) or its marks make none of its forms, it says nothing (None).
        self._written: list[np.ndarray | None] = []
        known = known or {}  # the forms of words already looked up (settled: one), by their start
        for m in TOKEN.finditer(source):
            fixed = all(len(self.options[k]) == 1 for k in range(m.start(), m.end()))
            forms = () if fixed else known[m.start()] if m.start() in known else lexicon.candidates(m.group(), mode)
            if not fixed and mode == "skeleton" and (not forms and left_as_written(m.group(), lexicon)
                                                    or trusted_as_written(m.group(), lexicon, doubt[0])):
                self.options[m.start():m.end()] = [(c,) for c in m.group()]
                fixed, forms = True, ()
            if forms:
                self.word_at[m.start():m.end()] = [len(self.spans)] * (m.end() - m.start())
            self.spans.append((m.start(), m.end(), forms))
            token = m.group().lower()
            self.keys.append((token,) if fixed and token in lexicon.ids else tuple(f.lower() for f in forms))
            self._written.append(_evidence(token, self.keys[-1], doubt) if min(doubt) < 1 and len(forms) > 1 else None)
        # How well each form of a token leads into the rest of its line, given the form of the token
        # before it, and what its written marks say: backward messages of the token-triple model,
        # [form before (or None), form], scaled per token, never per form (that would bias the
        # forms), so that the prior sees every token to the right.
        self._ahead: list[np.ndarray | None] = [None] * len(self.spans)
        steps = [(w, self._before_keys(w), self.keys[w], self.keys[w + 1] if self._linked(w + 1) else ())
                 for w in range(len(self.spans) if self.prior_weight else 0)]
        looked_up = [step for step in steps if step[2] and step[3]]  # the scores of every triple, in one lookup
        tables = dict(zip((w for w, *_ in looked_up), lexicon.tables([query for _, *query in looked_up])))
        for w, before, forms, after in reversed(steps):
            if forms:
                raw = (np.einsum("abc,bc->ab", tables[w], self._ahead[w + 1]) if after
                       else np.ones((len(before), len(forms))))
                if self._written[w] is not None:
                    raw = raw * self._written[w]
                self._ahead[w] = raw / (raw.sum() or 1.0)
        # The scores of form c of token w + 1 after form a of the token before w and form b of w,
        # in one flat list, read one row at a time by the prior (a nested list per token took a
        # third of this setup): they start at self._table[w] + (a * len(forms of w) + b) * len(forms of w + 1).
        self._flat = np.concatenate([t.ravel() for t in tables.values()]).tolist() if tables else []
        self._table = dict(zip(tables, itertools.accumulate((t.size for t in tables.values()), initial=0)))
        self._priors: dict[tuple[int, str | None, str | None], dict[str, float]] = {}
        self.out: list[str] = []  # emitted characters, one per input character
        self.pending = b""  # bytes emitted of the next character
        self.tokens: list[int] = []
        self.confidence: list[float] = []  # per character: the probability of its choice
        self._p = 1.0
        self.done = False

    def _linked(self, w: int) -> bool:
        """Whether token `w` has a token before it on its line (pairs were counted within lines)."""
        return 0 < w < len(self.spans) and "\n" not in self.source[self.spans[w - 1][1]:self.spans[w][0]]

    def _before_keys(self, w: int) -> tuple[str | None, ...]:
        """The forms the token before `w` may take, lowercase; (None,) where there is none or the
        lexicon does not know it."""
        return (self._linked(w) and self.keys[w - 1]) or (None,)

    def _restored(self, w: int, out: list[str]) -> str | None:
        """Token `w` as `out` holds it, lowercase; None where `out` does not reach its end."""
        start, end, _ = self.spans[w]
        return "".join(out[start:end]).lower() if end <= len(out) else None

    def _live(self, k: int, out: list[str]) -> dict[str, float]:
        """The forms of the word at `k` that agree with `out` before `k`, with their log-prior
        given the two tokens `out` holds before it and the tokens after it."""
        w = self.word_at[k]
        if w is None:
            return {}
        start, _, forms = self.spans[w]
        second = self._restored(w - 1, out) if self._linked(w) else None
        first = self._restored(w - 2, out) if second is not None and self._linked(w - 1) else None
        if (w, first, second) not in self._priors:
            if self.prior_weight:
                ahead_keys = self._before_keys(w)  # the rows of the backward messages
                b = ahead_keys.index(second if second in ahead_keys else None)
                before, seconds = self._before_keys(w - 1), self.keys[w - 1]
                if w - 1 in self._table and first in before and second in seconds:
                    at = (self._table[w - 1]
                          + (before.index(first) * len(seconds) + seconds.index(second)) * len(self.keys[w]))
                    follow = self._flat[at:at + len(self.keys[w])]
                else:  # a token before it that the lexicon does not know, or the start of a line
                    follow, = self.lexicon.follow((first,), second, self.keys[w])
                scores = [math.log(max(p * a, 1e-30)) for p, a in zip(follow, self._ahead[w][b].tolist())]
                top = max(scores)
                norm = top + math.log(sum(math.exp(x - top) for x in scores))
                self._priors[w, first, second] = {f: x - norm for f, x in zip(forms, scores)}
            else:
                self._priors[w, first, second] = dict.fromkeys(forms, 0.0)
        prefix = "".join(out[start:k])
        return {f: lp for f, lp in self._priors[w, first, second].items() if f.startswith(prefix)}

    def _next(self) -> dict[int, float]:
        """The bytes allowed next, each with the prior mass of the live forms it leads to (0.0
        for every byte where no known word is being restored)."""
        k, n = len(self.out), len(self.pending)
        if k == len(self.source):
            return {EOS: 0.0}
        live = self._live(k, self.out)
        if not live:
            return {c.encode()[n] + OFFSET: 0.0 for c in self.options[k] if c.encode().startswith(self.pending)}
        start, mass = self.spans[self.word_at[k]][0], {}
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
            if self.prior_weight and mass[allowed[0]]:
                scores = (scores - scores.max() - np.log(np.exp(scores - scores.max()).sum())
                          + self.prior_weight * np.log(np.array([mass[t] for t in allowed], np.float32)))
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
        if sure >= 1 or not self.prior_weight:
            # The model decodes all of it; the gaps between the pieces it is cut into stay as written.
            self.out, self.confidence, self.done = list(self.source), [1.0] * len(self.source), True
            return [(0, len(self.source), {start: forms for start, _, forms in self.spans})]
        starts = [start for start, _, _ in self.spans]
        out, confidence, unsure, settled = [], [], [], {}
        for k, ch in enumerate(self.source):
            w = self.word_at[k]
            if w is None:
                out.append(ch)
                confidence.append(1.0)
                if len(self.options[k]) > 1:  # a word training never saw, or an OCR misreading
                    unsure.append(bisect.bisect_right(starts, k) - 1)
                continue
            start = self.spans[w][0]
            if k == start:
                live = self._live(k, out)
                form = max(live, key=live.get)  # settled or not, the words after it read it as context
                p = math.exp(live[form])  # a share of 1: no prefix of the word is chosen yet
                if p >= sure:
                    settled[k] = form
                else:
                    unsure.append(w)
            out.append(form[k - start])
            confidence.append(p)
        self.out, self.confidence, self.done = out, confidence, True
        stretches, words = [], [w for w, (start, _, _) in enumerate(self.spans) if WORD.match(self.source, start)]
        for w in dict.fromkeys(unsure):
            i = bisect.bisect_left(words, w)  # context counts words: punctuation is context only beside them
            start = self.spans[words[i - context]][0] if i - context > 0 else 0
            end = self.spans[words[i + context]][1] if i + context < len(words) - 1 else len(self.source)
            if stretches and start <= stretches[-1][1]:
                start = stretches.pop()[0]
            stretches.append((start, end))
        forms = {start: (settled[start],) if start in settled else forms for start, _, forms in self.spans}
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
            live = self._live(k, out)
            if live:
                start = self.spans[self.word_at[k]][0]
                fits = [f for f in live if not head or f[k - start].encode().startswith(self.pending)]
                out.append(max(fits, key=live.get)[k - start])  # ties: the more frequent form
            else:
                out.append(next(c for c in self.options[k] if not head or c.encode().startswith(self.pending)))
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
