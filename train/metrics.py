"""Task metrics: word accuracy after alignment, character and diacritic error rates, and
accuracy on categories of words (names, uppercase lines, numbers and codes, rare syllables).

Every metric compares NFC text with tone placement folded, so hoà and hòa are the same word.
"""
import re
from collections.abc import Callable, Iterator

from rapidfuzz.distance import Levenshtein

from vidiac.infer.vietnamese import SENTENCE_END, normalize, set_tone_style, strip_diacritics

# Base letters that can carry a mark: the vowels (tones, hats, horns) and d (đ).
MARKABLE = frozenset("aeiouyd")
CATEGORIES = ("names", "uppercase lines", "numbers and codes", "rare syllables")
_EDGES = re.compile(r"^\W+|\W+$")


def _fold(text: str) -> str:
    # hoà and hòa are the same word: score both conventions alike.
    return set_tone_style(normalize(text), "traditional")


def word_accuracy(predictions: list[str], references: list[str], ignore_case: bool = False) -> float:
    """1 - (word edit distance / reference words), summed over the corpus."""
    errors = words = 0
    for pred, ref in zip(predictions, references, strict=True):
        pred, ref = _fold(pred), _fold(ref)
        if ignore_case:
            pred, ref = pred.lower(), ref.lower()
        ref_words = ref.split()
        errors += Levenshtein.distance(pred.split(), ref_words)
        words += len(ref_words)
    return 1.0 - errors / max(words, 1)


def cer(predictions: list[str], references: list[str]) -> float:
    errors = chars = 0
    for pred, ref in zip(predictions, references, strict=True):
        pred, ref = _fold(pred), _fold(ref)
        errors += Levenshtein.distance(pred, ref)
        chars += len(ref)
    return errors / max(chars, 1)


def aligned_chars(prediction: str, reference: str) -> Iterator[tuple[str, str]]:
    """(reference char, predicted char) for each reference char the alignment pairs with one."""
    pred, ref = _fold(prediction), _fold(reference)
    for tag, p1, p2, r1, r2 in Levenshtein.opcodes(pred, ref):
        if tag in ("equal", "replace"):  # replace blocks pair characters one to one
            yield from zip(ref[r1:r2], pred[p1:p2])


def diacritic_error_rate(predictions: list[str], references: list[str]) -> float:
    """Share of alignable letters with the wrong marks.

    A letter is alignable when it can carry a mark and the alignment pairs it with the same
    base letter (`ố` with `o`, `ơ`, `ộ`...). Case is ignored; a dropped or wholly wrong
    letter counts in CER, not here.
    """
    wrong = letters = 0
    for pred, ref in zip(predictions, references, strict=True):
        for r, p in aligned_chars(pred, ref):
            r, p = r.lower(), p.lower()
            base = strip_diacritics(r)
            if base in MARKABLE and strip_diacritics(p) == base:
                letters += 1
                wrong += r != p
    return wrong / max(letters, 1)


def token_hits(prediction: str, reference: str) -> list[bool]:
    """For each whitespace token of the reference: does it stand, exactly, in the prediction?"""
    pred, ref = _fold(prediction).split(), _fold(reference).split()
    hits = [False] * len(ref)
    for tag, _, _, r1, r2 in Levenshtein.opcodes(pred, ref):
        if tag == "equal":
            hits[r1:r2] = [True] * (r2 - r1)
    return hits


def token_categories(reference: str, is_rare: Callable[[str], bool]) -> list[set[str]]:
    """The CATEGORIES of each whitespace token of the reference, in the order of token_hits.

    names: capitalised words (not all capitals) that do not start a line or sentence;
    uppercase lines: every word of a line with no lowercase letter;
    numbers and codes: words with a digit, or of two or more capitals outside uppercase lines (UBND);
    rare syllables: words of letters only for which `is_rare(word.lower())` holds.
    """
    out = []
    for line in _fold(reference).split("\n"):
        upper = line.isupper()
        sentence_start = True
        for token in line.split():
            core = _EDGES.sub("", token)
            cats = {"uppercase lines"} if upper else set()
            if any(c.isdigit() for c in core) or (not upper and len(core) > 1 and core.isupper()):
                cats.add("numbers and codes")
            elif core[:1].isupper() and not core.isupper() and not sentence_start:
                cats.add("names")
            if core.isalpha() and is_rare(core.lower()):
                cats.add("rare syllables")
            out.append(cats)
            if core:
                sentence_start = bool(SENTENCE_END.search(token))
    return out


def category_accuracy(predictions: list[str], references: list[str],
                      is_rare: Callable[[str], bool]) -> dict[str, tuple[int, int]]:
    """category -> (reference words restored exactly, reference words in the category)."""
    counts = {c: [0, 0] for c in CATEGORIES}
    for pred, ref in zip(predictions, references, strict=True):
        for hit, cats in zip(token_hits(pred, ref), token_categories(ref, is_rare), strict=True):
            for c in cats:
                counts[c][0] += hit
                counts[c][1] += 1
    return {c: (hits, total) for c, (hits, total) in counts.items()}


def left_as_input(predictions: list[str], sources: list[str], references: list[str]) -> tuple[int, int]:
    """(wrong words left exactly as the input wrote them, wrong words): of the reference words
    that do not stand in the prediction (token_hits), those whose word in the prediction's
    alignment is the input's word at the same place (the alignment of prediction and input)."""
    left = wrong = 0
    for pred, src, ref in zip(predictions, sources, references, strict=True):
        pred_words, src_words, ref_words = _fold(pred).split(), _fold(src).split(), _fold(ref).split()
        as_input = [False] * len(pred_words)
        for tag, p1, p2, s1, s2 in Levenshtein.opcodes(pred_words, src_words):
            if tag == "equal":
                as_input[p1:p2] = [True] * (p2 - p1)
        for tag, p1, p2, r1, r2 in Levenshtein.opcodes(pred_words, ref_words):
            if tag == "equal":
                continue
            wrong += r2 - r1
            if tag == "replace":  # replace blocks pair words one to one
                left += sum(as_input[p] for p in range(p1, p1 + min(p2 - p1, r2 - r1)))
    return left, wrong


def right_words_changed(predictions: list[str], sources: list[str], references: list[str]) -> tuple[int, int]:
    """(words the input had right that the prediction changed, words the input had right): a
    word is right where the alignment of input and reference pairs it with an equal word, and
    changed where the prediction's word at its place (their one-to-one alignment) differs."""
    changed = right = 0
    for pred, src, ref in zip(predictions, sources, references, strict=True):
        pred_words, src_words, ref_words = _fold(pred).split(), _fold(src).split(), _fold(ref).split()
        at = {}  # input word -> the prediction's word at its place
        for tag, p1, p2, s1, s2 in Levenshtein.opcodes(pred_words, src_words):
            if tag == "equal" or (tag == "replace" and p2 - p1 == s2 - s1):
                at.update(zip(range(s1, s2), range(p1, p2)))
        for tag, s1, s2, _, _ in Levenshtein.opcodes(src_words, ref_words):
            if tag == "equal":
                right += s2 - s1
                changed += sum(i not in at or pred_words[at[i]] != src_words[i] for i in range(s1, s2))
    return changed, right


def scores(predictions: list[str], references: list[str]) -> dict[str, float]:
    return {
        "word_accuracy": word_accuracy(predictions, references),
        "word_accuracy_nocase": word_accuracy(predictions, references, ignore_case=True),
        "cer": cer(predictions, references),
        "diacritic_error_rate": diacritic_error_rate(predictions, references),
    }
