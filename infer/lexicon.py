"""The word forms seen in training, most frequent first: decoding's vocabulary and its prior.

`lexicon.json` in a model directory maps a stripped lowercase word to the accented forms
training saw for it (`quan` -> `quan`, `quản`, `quân`, `quần`). Restoring `quan` then
means choosing among real words, never inventing `quẩn̉`; a word training never saw is
restored letter by letter.

It also counts each form, and each pair of neighbouring words (`cơ quan`, `quản lý`): a
word-pair (bigram) model. Decoding draws from it a prior over a word's forms given the word
restored before it and every word after it on the line, which it adds to the model's scores
(shallow fusion, `infer.prior_weight`) and drafts from: `co quan quan ly` is `cơ quan quản lý`
before the model has read it.
"""
import functools
import itertools
import json
from pathlib import Path

from .confusions import LATIN_OCR
from .vietnamese import BASE, strip_diacritics

LEXICON_NAME = "lexicon.json"
MODES = ("skeleton", "ocr")

# Every letter sharing a skeleton and case: a -> a á à ả ã ạ ă ắ ... ậ; d -> d đ.
_VARIANTS: dict[str, tuple[str, ...]] = {}
for _ch in ["d", "đ", "D", "Đ", *BASE]:
    _VARIANTS[strip_diacritics(_ch)] = _VARIANTS.get(strip_diacritics(_ch), ()) + (_ch,)
# Single characters an OCR engine without Vietnamese prints for a letter: 4 for ã, 6 for ô.
_READ_AS: dict[str, tuple[str, ...]] = {}
for _clean, _readings in LATIN_OCR.items():
    for _r in _readings:
        if len(_clean) == 1 and len(_r) == 1:
            _READ_AS[_r] = _READ_AS.get(_r, ()) + (strip_diacritics(_clean),)


@functools.cache  # called for every input character of every chunk
def options(ch: str, mode: str) -> tuple[str, ...]:
    """What the output may hold where the input holds `ch`: `ch` itself first, then its variants."""
    plain = (strip_diacritics(ch),) + (_READ_AS.get(ch, ()) if mode == "ocr" else ())
    return tuple(dict.fromkeys([ch, *(v for p in plain for v in _VARIANTS.get(p, (p,)))]))


def _cased(form: str, source: str) -> str:
    return "".join(f.upper() if s.isupper() else f for f, s in zip(form, source))


class Lexicon:
    # Pseudo-counts of the unigram share added to each pair count, so that a pair seen rarely or
    # never still counts; best of 5-8000 for the shipped lexicon on the dev split (stripped legal, news).
    SMOOTHING = 1000.0

    def __init__(self, forms: dict[str, list[str]], counts: dict[str, int] | None = None,
                 pairs: dict[str, int] | None = None):
        self.forms = forms  # stripped lowercase word -> forms, most frequent first
        self.counts = counts or {}  # lowercase form -> sightings
        self.pairs = pairs or {}  # "form next_form" -> sightings, lowercase
        self.total = sum(self.counts.values())

    @classmethod
    def load(cls, model_dir: str | Path) -> "Lexicon":
        """The directory's lexicon; an empty one (letter-by-letter decoding) where there is none."""
        path = Path(model_dir) / LEXICON_NAME
        if not path.is_file():
            return cls({})
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            pairs = {f"{a} {b}": n for a, follow in data.get("pairs", {}).items() for b, n in follow.items()}
            return cls(dict(data["forms"]), data.get("counts"), pairs)
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise ValueError(f"{path}: not a lexicon written by vidiac (recount it: python -m vidiac.train.lexicon "
                             f"{Path(model_dir)})") from None

    def save(self, model_dir: str | Path) -> None:
        pairs = {}  # nested by first word: a third smaller than "first second" keys
        for pair, n in self.pairs.items():
            a, b = pair.split(" ")
            pairs.setdefault(a, {})[b] = n
        data = {"forms": self.forms, "counts": self.counts, "pairs": pairs}
        (Path(model_dir) / LEXICON_NAME).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    def candidates(self, word: str, mode: str) -> list[str]:
        """The forms `word` may be restored to, in the input's case, most frequent first."""
        opts = [options(c, mode) for c in word]
        keys = itertools.islice(itertools.product(*(dict.fromkeys(strip_diacritics(o).lower() for o in op) for op in opts)), 64)
        found = []
        for key in keys:
            for form in self.forms.get("".join(key), ()):
                form = _cased(form, word)
                if len(form) == len(word) and all(f in op for f, op in zip(form, opts)):
                    found.append(form)
        return list(dict.fromkeys(found))

    def follow(self, before: str | None, forms: list[str]) -> list[float]:
        """P(form | the word before), for each of `forms`: the pair's count smoothed by the
        form's unigram share; the share alone where there is no word before."""
        if not self.total:
            return [1.0] * len(forms)
        shares = [self.counts.get(f.lower(), 0) / self.total for f in forms]
        if before is None:
            return shares
        before = before.lower()
        seen = self.counts.get(before, 0) + self.SMOOTHING
        return [(self.pairs.get(f"{before} {f.lower()}", 0) + self.SMOOTHING * share) / seen
                for f, share in zip(forms, shares)]
