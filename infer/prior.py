"""What a text may become, and the lexicon's token trigram over it: the prior that decoding
fuses with the model and that correction chooses letters by.

A text's tokens (words, punctuation marks) each have a few forms. The trigram scores each form
given the forms of the two tokens before it, within a paragraph (a page's lines that wrap one
are read as one); each form also has a weight, what the writing says of it (its marks, or the
OCR channel). Over a line of such tokens inference is
exact: `backward` gives how well each form leads into the rest of the line, and `marginals`
each form's probability given the whole line. `Line` holds a chunk's forms for decoding and
answers, character by character, which forms are still live and their log-prior given the two
tokens chosen before them and every token after.
"""
import functools
import itertools
import math
import re

import numpy as np

from .lexicon import TOKEN, Lexicon, options
from .vietnamese import WORD, may_be_syllable, set_tone_style, strip_diacritics

# Marks doubted this little (infer.mark_doubt, restorer.py) are trusted over the lexicon: a marked
# syllable it never saw stays as written. Tesseract `vie` on the dev ladder: 0.001-0.03 down to
# copies of copies, 0.05-0.07 for faxes.
TRUSTED = 0.03


def backward(tables: list[np.ndarray | None], weights: list[np.ndarray | None],
             sizes: list[tuple[int, int] | None]) -> list[np.ndarray | None]:
    """Backward messages over a chain of tokens: `messages[i][a, b]`, how well form b of token i,
    after form a of the token before it, leads into the rest of the line, times `weights[i][b]`
    (None: 1). `tables[i][a, b, c]`: the trigram's score of form c of token i + 1 after forms a
    and b; None where no token follows in the chain. `sizes[i]`: (forms of the token before,
    forms of token i); None for a token of no forms, which has no message. Messages are scaled
    per token, never per form (that would bias the forms)."""
    messages: list[np.ndarray | None] = [None] * len(sizes)
    for i in reversed(range(len(sizes))):
        if sizes[i] is None:
            continue
        raw = (np.einsum("abc,bc->ab", tables[i], messages[i + 1]) if tables[i] is not None
               else np.ones(sizes[i]))
        if weights[i] is not None:
            raw = raw * weights[i]
        messages[i] = raw / (raw.sum() or 1.0)
    return messages


def marginals(moves: list[np.ndarray], weights: list[np.ndarray]) -> list[np.ndarray]:
    """Each token's probability of each form given every token of a line (forward-backward).
    `moves[i][a, b, c]`: the trigram's score of form c of token i after form a of token i - 2 and
    b of token i - 1 (one form, None, before the line's start)."""
    after = backward(moves[1:] + [None], weights, [m.shape[1:] for m in moves])
    alpha, out = np.ones((1, 1)), []
    for move, weight, beta in zip(moves, weights, after):
        reached = np.einsum("ab,abc->bc", alpha, move)  # [form before, form], before this token's weight
        m = (reached * beta).sum(0)
        out.append(m / (m.sum() or 1.0))
        alpha = reached * weight
        alpha = alpha / (alpha.sum() or 1.0)
    return out


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


def trusted_as_written(token: str, lexicon: Lexicon, doubt: tuple[float, float]) -> bool:
    """Whether skeleton decoding keeps `token` as written because the document's writing is
    trusted (`doubt` of words written as it is, with marks or without, at most TRUSTED) and the
    lexicon has no form for it that would be truer than what the engine read: a marked syllable
    it counted too rarely to keep among the forms (`cống` in `cống qua đê`) but often enough to
    be a word (Lexicon.attests), or a code or name in capitals that can be no syllable (`KXĐ`,
    `KOVALEVSKAYA`), whose marks the model would only guess."""
    marked = _marked(token)
    if doubt[0 if marked else 1] > TRUSTED or not lexicon.forms:
        return False
    if not may_be_syllable(token):
        return token.isupper() and not lexicon.candidates(token, "skeleton")
    if not marked:
        return False
    written = folded(token.lower())
    return (all(folded(f.lower()) != written for f in lexicon.candidates(token, "skeleton"))
            and lexicon.attests(written))


def _evidence(token: str, forms: tuple[str, ...], doubt: tuple[float, float]) -> np.ndarray | None:
    """Per form of `token` (both lowercase), 1 for the form it is written as and its doubt (marked or
    not) for the others; None where it is written as none of its forms (either tone placement)."""
    weight = doubt[0] if _marked(token) else doubt[1]
    written = folded(token)
    hits = [folded(f) == written for f in forms]
    return np.array([1.0 if hit else weight for hit in hits]) if weight < 1 and any(hits) else None


def _torn(matches: list[re.Match], lexicon: Lexicon) -> set[int]:
    """The tokens of a word that a symbol tears, as OCR does (`qu@an`, `d§é`): a symbol with a
    word on each side and no space between, that the lexicon never counted beside a form of
    either (`NĐ-CP` and `H'Mông` it did). A piece of a torn word says nothing of its
    neighbours, so it cuts the chain like a word the lexicon does not know, and its letters
    stay as written: marks would not mend it."""
    def keys(token: str) -> tuple[str, ...]:
        return tuple(f.lower() for f in lexicon.candidates(token, "skeleton")) or (token.lower(),)

    def counted(left: re.Match, right: re.Match) -> bool:
        return any(lexicon.count(a, b) for a in keys(left.group()) for b in keys(right.group()))
    torn = set()
    for i in range(1, len(matches) - 1):
        before, symbol, after = matches[i - 1:i + 2]
        if (not WORD.fullmatch(symbol.group()) and WORD.fullmatch(before.group()) and WORD.fullmatch(after.group())
                and before.end() == symbol.start() and symbol.end() == after.start()
                and not (counted(before, symbol) and counted(symbol, after))):
            torn.update((i - 1, i, i + 1))
    return torn


class Line:
    """What a chunk of text may become (each character's options, each token's forms) and the
    trigram's prior over its tokens."""

    def __init__(self, source: str, lexicon: Lexicon, mode: str, prior_weight: float = 0.0,
                 known: dict[int, tuple[str, ...]] | None = None, doubt: tuple[float, float] = (1.0, 1.0),
                 noise: float = 0.0):
        """`doubt`: the weight of a form other than the one a word is written as, for a word
        written with marks and for one written without (1: the writing is no evidence, as the
        missing marks of stripped text are not); `known`: the forms of words already looked up
        (settled: one), by their start; `noise`: the chance that a token is misread (Lexicon.tables)."""
        self.source, self.doubt, self.noise = source, doubt, noise
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
        written: list[np.ndarray | None] = []
        known = known or {}
        matches = list(TOKEN.finditer(source))
        torn = _torn(matches, lexicon) if lexicon.total else set()
        for i, m in enumerate(matches):
            fixed = all(len(self.options[k]) == 1 for k in range(m.start(), m.end()))
            forms = () if fixed else known[m.start()] if m.start() in known else lexicon.candidates(m.group(), mode)
            if not fixed and (i in torn or mode == "skeleton" and (not forms and left_as_written(m.group(), lexicon)
                                                                  or trusted_as_written(m.group(), lexicon, doubt))):
                self.options[m.start():m.end()] = [(c,) for c in m.group()]
                fixed, forms = True, ()
            if forms:
                self.word_at[m.start():m.end()] = [len(self.spans)] * (m.end() - m.start())
            self.spans.append((m.start(), m.end(), forms))
            token = m.group().lower()
            self.keys.append((token,) if fixed and token in lexicon.ids and i not in torn
                             else tuple(f.lower() for f in forms))
            written.append(_evidence(token, self.keys[-1], doubt) if min(doubt) < 1 and len(forms) > 1 else None)
        # Whether each token has one before it in its paragraph: pairs were counted within the
        # corpus's lines, which are paragraphs, and a page's line that goes on in lowercase after a
        # word or a comma is its paragraph wrapped (`tới cảng` / `xuất cảnh`).
        self._links = [False] + [self._wraps(before, after) for before, after in zip(self.spans, self.spans[1:])]
        # Backward messages of the token trigram, [form before (or None), form], so that the prior
        # sees every token to the right.
        steps = [(w, self._before_keys(w), self.keys[w], self.keys[w + 1] if self._linked(w + 1) else ())
                 for w in range(len(self.spans) if self.prior_weight else 0)]
        looked_up = [step for step in steps if step[2] and step[3]]  # the scores of every triple, in one lookup
        tables = dict(zip((w for w, *_ in looked_up), lexicon.tables([query for _, *query in looked_up], noise)))
        sizes = [(len(before), len(forms)) if forms else None for _, before, forms, _ in steps]
        self._ahead = (backward([tables.get(w) for w in range(len(sizes))], written, sizes) if self.prior_weight
                       else [None] * len(self.spans))
        # The scores of form c of token w + 1 after form a of the token before w and form b of w,
        # in one flat list, read one row at a time by `live` (a nested list per token took a third
        # of this setup): they start at self._table[w] + (a * len(forms of w) + b) * len(forms of w + 1).
        self._flat = np.concatenate([t.ravel() for t in tables.values()]).tolist() if tables else []
        self._table = dict(zip(tables, itertools.accumulate((t.size for t in tables.values()), initial=0)))
        self._priors: dict[tuple[int, str | None, str | None], dict[str, float]] = {}

    def _wraps(self, before: tuple[int, int, tuple], after: tuple[int, int, tuple]) -> bool:
        """Whether the token spanning `after` follows the one spanning `before` in its paragraph."""
        (start, end, _), following = before, after[0]
        gap = self.source[end:following]
        return "\n" not in gap or (gap.count("\n") == 1 and self.source[following].islower()
                                   and (self.source[end - 1].isalnum() or self.source[start:end] == ","))

    def _linked(self, w: int) -> bool:
        """Whether token `w` has a token before it in its paragraph."""
        return 0 < w < len(self._links) and self._links[w]

    def _before_keys(self, w: int) -> tuple[str | None, ...]:
        """The forms the token before `w` may take, lowercase; (None,) where there is none or the
        lexicon does not know it."""
        return (self._linked(w) and self.keys[w - 1]) or (None,)

    def _restored(self, w: int, out: list[str]) -> str | None:
        """Token `w` as `out` holds it, lowercase; None where `out` does not reach its end."""
        start, end, _ = self.spans[w]
        return "".join(out[start:end]).lower() if end <= len(out) else None

    def live(self, k: int, out: list[str]) -> dict[str, float]:
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
                    follow, = self.lexicon.follow((first,), second, self.keys[w], self.noise)
                scores = [math.log(max(p * a, 1e-30)) for p, a in zip(follow, self._ahead[w][b].tolist())]
                top = max(scores)
                norm = top + math.log(sum(math.exp(x - top) for x in scores))
                self._priors[w, first, second] = {f: x - norm for f, x in zip(forms, scores)}
            else:
                self._priors[w, first, second] = dict.fromkeys(forms, 0.0)
        prefix = "".join(out[start:k])
        return {f: lp for f, lp in self._priors[w, first, second].items() if f.startswith(prefix)}
