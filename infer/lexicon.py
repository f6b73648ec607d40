"""The word forms seen in training, most frequent first: decoding's draft and its vocabulary.

`lexicon.json` in a model directory maps a stripped lowercase word to the accented forms
training saw for it (`quan` -> `quan`, `quản`, `quân`, `quần`). Restoring `quan` then
means choosing among real words, never inventing `quẩn̉`; a word training never saw is
restored letter by letter.
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
    def __init__(self, forms: dict[str, list[str]]):
        self.forms = forms

    @classmethod
    def load(cls, model_dir: str | Path) -> "Lexicon":
        """The directory's lexicon; an empty one (letter-by-letter decoding) where there is none."""
        path = Path(model_dir) / LEXICON_NAME
        return cls(json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {})

    def save(self, model_dir: str | Path) -> None:
        (Path(model_dir) / LEXICON_NAME).write_text(json.dumps(self.forms, ensure_ascii=False), encoding="utf-8")

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
