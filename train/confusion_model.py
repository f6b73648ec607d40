"""A character-level model of one OCR engine's errors, fitted from (OCR, clean) pairs, and a
sampler that corrupts clean text the same way.

Each clean character becomes an output string: itself, another character, nothing (a
deletion), or several characters (what the engine inserted after a character rides on it:
`m` -> `rn`). Outputs are counted per context (previous character, character, next
character). A context's counts get PRIOR pseudo-counts spread as the character's own
distribution, so a rare context leans on the character alone, and a character never seen
in fitting is always kept. Lines are fitted and corrupted one by one. The sampler keeps
every space and line break and never writes one: the training pairs keep their words one to
one, as inference's word alignment wants.

OCR errors cluster: most paragraphs of a good page come out clean, a faint page is wrong
everywhere. So each fitted paragraph also gives a severity (its errors over those the
model expects there), and the sampler scales every change probability of a text by a
severity drawn from these.
"""
import difflib
import json
import random
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Collection
from itertools import accumulate
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from vidiac.infer.correction import other_readings
from vidiac.infer.vietnamese import BASE, normalize, strip_diacritics

PRIOR = 5.0
VOWELS = "aeiouy"
MARKED_VOWELS = sorted(c for c in BASE if c.islower() and strip_diacritics(c) in VOWELS and strip_diacritics(c) != c)
MARKS_BACKOFF = 0.3  # against none: dev ladder `eng` clean +0.0016, copy of a copy +0.0012, fax from images -0.0010
# A line read as nothing, or longer or shorter than its print by more than this share of it, is a
# layout failure (a row dropped, or merged with its neighbour on a poor scan), not misreadings:
# fitting leaves it out.
MAX_LENGTH_CHANGE = 0.5
# Upper edges of the bins of an engine's confidence in a character (0 to 1): Tesseract gives most
# characters 0.995 or more, and those are almost never wrong.
CONFIDENCE_EDGES = (0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.995, 1.0)
# Upper edges of the bins of the engine's weight of another reading of a place over that of the
# character it printed. Taken at face value those weights overstate the other readings several
# times over: the engine ranks what its own model could print, not what was printed.
ALTERNATIVE_EDGES = (0.03, 0.1, 0.3, 0.6, 1.0)


def _aligned(text: str) -> str:
    """`text` as emissions aligns it: lowercase letters without marks, one for one."""
    folded = strip_diacritics(text.lower())
    return folded if len(folded) == len(text) else text


def emissions(clean: str, ocr: str) -> list[str]:
    """What each character of `clean` became in `ocr`: ("hòa", "hoa") -> ["h", "o", "a"],
    ("thực", "thurc") -> ["t", "h", "ur", "c"]. The two are aligned on their letters without
    marks, so that a vowel read with its marks dropped lines up with its letter and what the
    engine printed for its marks (the hook of ư read as `r`) rides on it as one event. A
    character the engine added between two goes with the one of them that is a vowel with marks,
    the one before where both or neither are (`phdap` for pháp: á -> `da`)."""
    out, before = list(clean), [""] * len(clean)  # before[i]: what the engine put before character i
    marked = [strip_diacritics(c) != c and strip_diacritics(c.lower()) in VOWELS for c in clean]
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(_aligned(clean), _aligned(ocr)):
        if tag in ("equal", "replace"):  # one for one
            out[i1:i2] = ocr[j1:j2]
        elif tag == "delete":
            out[i1:i2] = [""] * (i2 - i1)
        elif tag == "insert" and i1 < len(clean) and (not i1 or (marked[i1] and not marked[i1 - 1])):
            before[i1] += ocr[j1:j2]
        elif tag == "insert" and i1:
            out[i1 - 1] += ocr[j1:j2]
    return [b + o for b, o in zip(before, out)]


def _context(line: str, i: int) -> tuple[str, str, str]:
    return line[i - 1] if i else "", line[i], line[i + 1] if i + 1 < len(line) else ""


class ConfusionModel:
    def __init__(self, chars: dict[str, Counter], contexts: dict[tuple[str, str, str], Counter],
                 severities: list[float] = (1.0,)):
        self.chars, self.contexts, self.severities = chars, contexts, list(severities)
        self._cache = {}

    @classmethod
    def fit(cls, pairs) -> "ConfusionModel":
        """From (OCR text, clean text) pairs whose lines correspond one to one."""
        chars, contexts = defaultdict(Counter), defaultdict(Counter)
        blocks = []
        for n, (ocr, clean) in enumerate(pairs):
            ocr_lines, clean_lines = normalize(ocr).split("\n"), normalize(clean).split("\n")
            if len(ocr_lines) != len(clean_lines):
                raise ValueError(f"pair {n}: {len(ocr_lines)} OCR lines for {len(clean_lines)} clean lines")
            block = [(c, emissions(c, o)) for o, c in zip(ocr_lines, clean_lines)
                     if o and abs(len(o) - len(c)) <= MAX_LENGTH_CHANGE * len(c)]
            for c, outs in block:
                for i, out in enumerate(outs):
                    chars[c[i]][out] += 1
                    contexts[_context(c, i)][out] += 1
            blocks.append(block)
        model = cls(dict(chars), dict(contexts))
        ratios = []  # (severity, expected errors) per block
        for block in blocks:
            expected = sum(model.distribution(*_context(c, i))[0] for c, outs in block for i in range(len(c)))
            if expected:
                ratios.append((sum(out != ch for c, outs in block for ch, out in zip(c, outs)) / expected, expected))
        if ratios:  # percentiles weighted by expected errors, so that the sampled CER matches the pairs'
            ratios.sort()
            cum = list(accumulate(w for _, w in ratios))
            model.severities = [round(ratios[min(bisect_left(cum, cum[-1] * q / 100), len(ratios) - 1)][0], 4)
                                for q in range(101)]
        return model

    def save(self, path: str | Path) -> None:
        data = {"severities": self.severities, "chars": self.chars,
                "contexts": [[*key, counts] for key, counts in self.contexts.items()]}
        Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "ConfusionModel":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls({c: Counter(n) for c, n in data["chars"].items()},
                       {(p, c, x): Counter(n) for p, c, x, n in data["contexts"]}, data["severities"])
        except FileNotFoundError:
            raise ValueError(f"{path}: no such confusion model") from None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise ValueError(f"{path}: not a confusion model written by ConfusionModel.save") from None

    def distribution(self, prev: str, ch: str, nxt: str) -> tuple[float, list[str], list[float]]:
        """P(changed), and the outputs other than `ch` with cumulative weights."""
        key = (prev, ch, nxt)
        if key not in self._cache:
            own = self.chars.get(ch, Counter())
            total = sum(own.values())
            weights = Counter({out: PRIOR * n / total for out, n in own.items()})
            weights.update(self.contexts.get(key, Counter()))
            changes = [out for out in weights if out != ch and not any(c.isspace() for c in out)]
            all_weight = sum(weights.values())
            changed = sum(weights[out] for out in changes)
            change = changed / all_weight if all_weight and not ch.isspace() else 0.0
            self._cache[key] = change, changes, list(accumulate(weights[out] for out in changes))
        return self._cache[key]


def channel(models: list[ConfusionModel], min_count: int = 3) -> dict[str, dict[str, float]]:
    """The noisy channel that inference corrects misread words with (`infer/correction.py`): per
    clean lowercase character, the readings that change its letter (lowercase, no whitespace,
    seen at least `min_count` times), each weighted by how often an engine printed it over how
    often the engine kept the letter (marks aside); the highest weight of the models' engines."""
    weights = defaultdict(dict)
    for model in models:
        counts, keeps = defaultdict(Counter), Counter()
        for clean, outputs in model.chars.items():
            for out, n in outputs.items():
                if strip_diacritics(out.lower()) == strip_diacritics(clean.lower()):
                    keeps[clean.lower()] += n  # a space kept as a space too
                elif not any(c.isspace() for c in out):
                    counts[clean.lower()][out.lower()] += n
        for clean, outputs in counts.items():
            keep = keeps[clean]
            for out, n in outputs.items():
                if n >= min_count and strip_diacritics(out) != strip_diacritics(clean):
                    weights[clean][out] = max(weights[clean].get(out, 0.0), round(n / max(keep, 1), 6))
    # A vowel's marks printed as characters of their own beside it (`da` for ả, `aé` for ẩ) are read
    # so for each of its marks, but the fits see most vowel-and-mark pairs too rarely to count them
    # (`nhdan` for nhận): a marked vowel also takes, at MARKS_BACKOFF, each reading of several
    # characters fitted for the same vowel with other marks, its hat, horn or breve among them (`ur`
    # for ự is also one for ú).
    backoff = defaultdict(float)  # (vowel without marks, reading) -> the highest weight of its marked forms
    for clean, readings in weights.items():
        vowel = strip_diacritics(clean)
        if vowel != clean and vowel in VOWELS:
            for out, w in readings.items():
                if len(out) > 1:
                    backoff[vowel, out] = max(backoff[vowel, out], w)
    for clean in MARKED_VOWELS:
        for (vowel, out), w in backoff.items():
            if vowel == strip_diacritics(clean) and out not in weights[clean]:
                weights[clean][out] = round(MARKS_BACKOFF * w, 6)
    return dict(sorted(weights.items()))


def confidence_rates(records) -> dict:
    """How often a printed character's letter is wrong, by the confidence the engine gave it
    (`CONFIDENCE_EDGES` bins, add-one smoothed); and how likely another reading of its place is
    right, over the printed letter, by the engine's weight of it over the printed one's
    (`ALTERNATIVE_EDGES` bins: the odds that the channel gives that reading; add-one smoothed, and
    at most 1, as no misreading is likelier than reading a character right). From records that
    carry each word's characters (`vidiac-ladder build`): the same words of a line, printed and
    read, compared letter by letter."""
    wrong, seen = [0] * len(CONFIDENCE_EDGES), [0] * len(CONFIDENCE_EDGES)
    other, printed = [0] * len(ALTERNATIVE_EDGES), [0] * len(ALTERNATIVE_EDGES)
    for record in records:
        for read, printed_line, chars in zip(record["source"].split("\n"), record["target"].split("\n"),
                                             record["chars"]):
            words, truth = read.split(), printed_line.split()
            if len(words) != len(chars):
                continue
            folded = difflib.SequenceMatcher(None, [strip_diacritics(w.lower()) for w in words],
                                             [strip_diacritics(w.lower()) for w in truth], autojunk=False)
            for op, a1, a2, b1, b2 in folded.get_opcodes():
                if op not in ("equal", "replace") or a2 - a1 != b2 - b1:
                    continue
                for word, right, cs in zip(words[a1:a2], truth[b1:b2], chars[a1:a2]):
                    if len(word) != len(right) or len(cs) != len(word):
                        continue  # a letter dropped or added: no place-by-place comparison
                    for (c, p, readings), r in zip(cs, right):
                        letter, truth_letter = strip_diacritics(c.lower()), strip_diacritics(r.lower())
                        k = bisect_left(CONFIDENCE_EDGES, p)
                        seen[k] += 1
                        wrong[k] += letter != truth_letter
                        for alternative, weight in other_readings(c, p, readings).items():
                            j = bisect_left(ALTERNATIVE_EDGES, weight)
                            other[j] += alternative == truth_letter
                            printed[j] += letter == truth_letter
    return {"edges": list(CONFIDENCE_EDGES), "wrong": [round((w + 1) / (n + 2), 6) for w, n in zip(wrong, seen)],
            "alternatives": {"edges": list(ALTERNATIVE_EDGES),
                             "odds": [round(min(1.0, (o + 1) / (n + 1)), 6) for o, n in zip(other, printed)]}}


def write_channel(path: str | Path, model_paths: list[str], confidence_records=None) -> None:
    """`channel` of the confusion models at `model_paths`, as a model directory carries it, and
    `confidence_rates` of the records where given."""
    data = {"models": list(model_paths), "misreadings": channel([ConfusionModel.load(p) for p in model_paths])}
    if confidence_records is not None:
        data["confidence"] = confidence_rates(confidence_records)
    Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def apply(text: str, rng: random.Random, model: ConfusionModel, keep: Collection[int] = ()) -> str:
    """`text` as the fitted engine might read it. Whitespace stays, no word is lost whole, and
    the characters at the indices in `keep` stay as they are."""
    severity = rng.choice(model.severities)

    def read(line: str, start: int, i: int) -> str:
        change, changes, cum = model.distribution(*_context(line, i))
        if start + i in keep or rng.random() >= change * severity:
            return line[i]
        return rng.choices(changes, cum_weights=cum)[0]
    lines, start = [], 0
    for line in text.split("\n"):
        out = ""
        for m in re.finditer(r"\s+|\S+", line):
            piece = m.group()
            if not piece.isspace():
                piece = "".join(read(line, start, i) for i in range(*m.span())) or piece
            out += piece
        lines.append(out)
        start += len(line) + 1
    return "\n".join(lines)
