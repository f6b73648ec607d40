"""Task metrics: word accuracy after alignment, and character error rate."""
from rapidfuzz.distance import Levenshtein

from vidiac.infer.vietnamese import normalize, set_tone_style


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


def scores(predictions: list[str], references: list[str]) -> dict[str, float]:
    return {
        "word_accuracy": word_accuracy(predictions, references),
        "word_accuracy_nocase": word_accuracy(predictions, references, ignore_case=True),
        "cer": cer(predictions, references),
    }
