"""Cut a document into model-sized chunks and put the restored words back exactly.

The document is held as its words (runs of non-space) and the whitespace between them.
The model sees each chunk with spaces collapsed and line breaks kept; its output is
aligned word by word to the input and written back into the original whitespace, so
every line break, blank line and run of spaces stands where it stood, and a word the
model dropped, split or invented falls back to the input instead of vanishing.
"""
import difflib
import itertools
import re
from dataclasses import dataclass

from .vietnamese import SENTENCE_END, cased, strip_diacritics

_SPLIT = re.compile(r"(\s+)")
# URLs and e-mail addresses: never restored, and never degraded in training.
KEEP_AS_IS = re.compile(r"^(?:\W*(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+\W*)$", re.IGNORECASE)


@dataclass
class Layout:
    words: list[str]
    gaps: list[str]  # gaps[0] before the first word, gaps[i] before words[i], gaps[-1] trailing

    @classmethod
    def of(cls, text: str, max_word_bytes: int) -> "Layout":
        parts = _SPLIT.split(text)
        if parts and parts[0] == "":
            parts = parts[1:]
        gaps, words = [""], []
        for part in parts:
            if not part:
                continue
            if part.isspace():
                gaps[-1] += part
                continue
            for piece in _pieces(part, max_word_bytes):
                words.append(piece)
                gaps.append("")
        return cls(words, gaps)

    def join(self, words: list[str]) -> str:
        out = [self.gaps[0]]
        for w, g in zip(words, self.gaps[1:]):
            out += [w, g]
        return "".join(out)


def _pieces(word: str, limit: int):
    """A word longer than the model's window (a 10 MB line with no space) is cut into pieces."""
    if len(word.encode("utf-8")) <= limit:
        yield word
        return
    step = max(1, limit // 4)  # a character is at most 4 bytes in UTF-8
    for i in range(0, len(word), step):
        yield word[i:i + step]


def _separator(gap: str) -> str:
    return "\n" if "\n" in gap else " "


def plan_chunks(layout: Layout, limit: int) -> list[tuple[int, int]]:
    """Word ranges [start, end) whose model text fits in `limit` bytes.

    A chunk ends, in order of preference, at a line break, at a sentence end, or at
    any space, as late as possible. Pieces of one over-long word each stand alone.
    """
    words, gaps = layout.words, layout.gaps
    sizes = [len(w.encode("utf-8")) for w in words]
    chunks, start, size = [], 0, 0
    i = 0
    while i < len(words):
        glued = i > start and gaps[i] == ""  # a piece of an over-long word
        if i > start and (glued or size + 1 + sizes[i] > limit):
            cut = i if glued else _best_cut(words, gaps, start, i)
            chunks.append((start, cut))
            start, size = cut, sum(sizes[cut:i]) + (i - cut - 1 if i > cut else 0)
            continue
        size += sizes[i] + (1 if i > start else 0)
        i += 1
    if start < len(words):
        chunks.append((start, len(words)))
    return chunks


def _best_cut(words, gaps, start, end) -> int:
    half = start + (end - start) // 2
    for k in range(end - 1, half, -1):
        if "\n" in gaps[k]:
            return k
    for k in range(end - 1, half, -1):
        if SENTENCE_END.search(words[k - 1]):
            return k
    return end


def chunk_text(layout: Layout, chunk: tuple[int, int]) -> str:
    start, end = chunk
    out = [layout.words[start]]
    for k in range(start + 1, end):
        out += [_separator(layout.gaps[k]), layout.words[k]]
    return "".join(out)


def split_text(text: str, limit: int) -> list[tuple[int, int]]:
    """Character ranges of `text` (words between single spaces and line breaks, as chunk_text
    writes them) that fit in `limit` bytes, cut where plan_chunks cuts."""
    layout = Layout.of(text, limit)
    starts, at = [], 0
    for word, gap in zip(layout.words, layout.gaps):
        at += len(gap)
        starts.append(at)
        at += len(word)
    return [(starts[a], starts[b - 1] + len(layout.words[b - 1])) for a, b in plan_chunks(layout, limit)]


def _fold(word: str) -> str:
    return strip_diacritics(word).lower()


def _accept(source: str, restored: str) -> str:
    if not any(c.isalpha() for c in source) or KEEP_AS_IS.match(source):
        return source  # numbers, punctuation, URLs and e-mail addresses are never rewritten
    return cased(restored, source)  # OCR and typing keep the input's case; the model must not change it


def align_words(source: list[str], output: str) -> list[str]:
    """The restored form of each source word; the source word itself where none aligns. A source
    word may hold a space (two words the engine ran together, which the corrector set apart):
    it is restored as its two."""
    parts = [w.split() or [w] for w in source]
    flat = [p for ps in parts for p in ps]
    restored = output.split()
    result = list(flat)
    matcher = difflib.SequenceMatcher(None, [_fold(w) for w in flat], [_fold(w) for w in restored], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for i, j in zip(range(i1, i2), range(j1, j2)):
                result[i] = _accept(flat[i], restored[j])
    return [" ".join(result[k - len(ps):k]) for ps, k in zip(parts, itertools.accumulate(map(len, parts)))]


def per_word(source: list[str], values: list) -> list:
    """Per source word, the lowest of `values`, which hold one per space-separated word of the
    source's text (a word holding a space has two); None where any of its values is None."""
    out, k = [], 0
    for word in source:
        n = len(word.split()) or 1
        mine = values[k:k + n]
        out.append(None if None in mine else min(mine))
        k += n
    return out
