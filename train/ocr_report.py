"""OCR errors in numbers: Tesseract's pairs beside the confusion sampler's corruption of the
same clean text (the sampler fitted on those pairs), per engine.

    from vidiac.train.ocr_pairs import read_pairs
    print(format_report(compare(read_pairs("pairs.jsonl"))))
"""
import random
from collections import Counter

from rapidfuzz.distance import Levenshtein

from vidiac.infer.vietnamese import strip_diacritics

from .confusion_model import ConfusionModel, apply, emissions
from .metrics import cer


def summarize(pairs: list[tuple[str, str]], top: int = 12) -> dict:
    """(OCR, clean) pairs: CER overall and spread over blocks, share of clean syllables changed
    and, of those, the share whose letters survive with only marks changed, top confusions."""
    block_cer = sorted(cer([o], [c]) for o, c in pairs)
    confusions = Counter()
    syllables = changed = marks_only = 0
    for ocr, clean in pairs:
        for o, c in zip(ocr.split("\n"), clean.split("\n")):
            confusions.update((ch, out) for ch, out in zip(c, emissions(c, o)) if ch != out)
        clean_words, ocr_words = clean.split(), ocr.split()
        syllables += len(clean_words)
        for tag, i1, i2, j1, j2 in Levenshtein.opcodes(clean_words, ocr_words):
            if tag in ("replace", "delete"):
                changed += i2 - i1
            if tag == "replace":
                marks_only += sum(strip_diacritics(a) == strip_diacritics(b)
                                  for a, b in zip(clean_words[i1:i2], ocr_words[j1:j2]))
    n = len(block_cer)
    return {
        "blocks": n,
        "cer": cer([o for o, _ in pairs], [c for _, c in pairs]),
        **{f"block_cer_p{q}": block_cer[min(n - 1, n * q // 100)] if n else 0.0 for q in (50, 90, 99)},
        "error_free_blocks": sum(x == 0 for x in block_cer) / max(n, 1),
        "syllables_changed": changed / max(syllables, 1),
        "marks_only": marks_only / max(changed, 1),
        "top_confusions": confusions.most_common(top),
    }


def compare(records: list[dict], seed: int = 0) -> dict:
    """{engine: {"tesseract": summary, "sampler": summary}} for the records of each engine."""
    rng = random.Random(seed)
    out = {}
    for engine in sorted({r["engine"] for r in records}):
        pairs = [(r["source"], r["target"]) for r in records if r["engine"] == engine]
        model = ConfusionModel.fit(pairs)
        out[engine] = {"tesseract": summarize(pairs),
                       "sampler": summarize([(apply(clean, rng, model), clean) for _, clean in pairs])}
    return out


def format_report(comparison: dict) -> str:
    columns = [(e, s) for e in comparison for s in ("tesseract", "sampler")]
    rows = ["| | " + " | ".join(f"{e} {s}" for e, s in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for key in ("blocks", "cer", "block_cer_p50", "block_cer_p90", "block_cer_p99", "error_free_blocks",
                "syllables_changed", "marks_only"):
        values = [comparison[e][s][key] for e, s in columns]
        rows.append(f"| {key} | " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in values) + " |")
    for e, s in columns:
        shown = ", ".join(f"{c!r}>{o!r} {n}" for (c, o), n in comparison[e][s]["top_confusions"])
        rows.append(f"\ntop confusions, {e} {s}: {shown}")
    return "\n".join(rows)
