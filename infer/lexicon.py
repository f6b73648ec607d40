"""The word forms seen in training, most frequent first: decoding's vocabulary and its prior.

`lexicon.json.gz` in a model directory maps a stripped lowercase word to the accented forms
training saw for it (`quan` -> `quan`, `quản`, `quân`, `quần`). Restoring `quan` then
means choosing among real words, never inventing `quẩn̉`; a word training never saw is
restored letter by letter.

It also counts each form, each pair and each triple of neighbouring words (`cơ quan`,
`cơ quan quản`): a word trigram model, backed off to pairs and single words. Decoding draws
from it a prior over a word's forms given the two words restored before it and every word
after it on the line, which it adds to the model's scores (shallow fusion,
`infer.prior_weight`) and drafts from: `co quan quan ly` is `cơ quan quản lý` before the
model has read it.
"""
import functools
import gzip
import itertools
import json
from pathlib import Path

from .confusions import LATIN_OCR
from .vietnamese import BASE, strip_diacritics

LEXICON_NAME = "lexicon.json.gz"  # gzip: the word triples make the JSON about 33 MB, compressed 10 MB
OLD_LEXICON_NAME = "lexicon.json"  # as model directories written before the triples hold it
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
    # Stupid backoff (Brants et al. 2007): a word sequence never counted scores this share of
    # the score of its shorter context. The triple and pair counts are pruned, so a rare
    # sequence backs off rather than scoring zero.
    BACKOFF = 0.4

    def __init__(self, forms: dict[str, list[str]], counts: dict[str, int] | None = None,
                 pairs: dict[str, dict[str, int]] | None = None, triples: dict[str, dict[str, int]] | None = None):
        self.forms = forms  # stripped lowercase word -> forms, most frequent first
        self.counts = counts or {}  # lowercase form -> sightings
        # Nested as lexicon.json.gz stores them, so that loading builds no keys:
        self.pairs = pairs or {}  # form -> next form -> sightings, lowercase
        self.triples = triples or {}  # "form next_form" -> third form -> sightings, lowercase
        self.total = sum(self.counts.values())

    @classmethod
    def load(cls, model_dir: str | Path) -> "Lexicon":
        """The directory's lexicon; an empty one (letter-by-letter decoding) where there is none."""
        path = next((p for p in (Path(model_dir) / n for n in (LEXICON_NAME, OLD_LEXICON_NAME)) if p.is_file()), None)
        if path is None:
            return cls({})
        try:
            with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as f:
                data = json.load(f)
            return cls(dict(data["forms"]), data.get("counts"), data.get("pairs"), data.get("triples"))
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError, AttributeError, gzip.BadGzipFile, EOFError):
            raise ValueError(f"{path}: not a lexicon written by vidiac (recount it: python -m vidiac.train.lexicon "
                             f"{Path(model_dir)})") from None

    def save(self, model_dir: str | Path) -> None:
        data = {"forms": self.forms, "counts": self.counts, "pairs": self.pairs, "triples": self.triples}
        with gzip.open(Path(model_dir) / LEXICON_NAME, "wt", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        (Path(model_dir) / OLD_LEXICON_NAME).unlink(missing_ok=True)  # it would no longer be read

    def __str__(self) -> str:
        return (f"{sum(map(len, self.forms.values())):,} forms of {len(self.forms):,} words, "
                f"{sum(map(len, self.pairs.values())):,} word pairs and {sum(map(len, self.triples.values())):,} "
                f"triples, counted from {self.total:,} words")

    @functools.lru_cache(maxsize=1 << 16)  # text repeats its words
    def candidates(self, word: str, mode: str) -> tuple[str, ...]:
        """The forms `word` may be restored to, in the input's case, most frequent first."""
        opts = [options(c, mode) for c in word]
        keys = itertools.islice(itertools.product(*(dict.fromkeys(strip_diacritics(o).lower() for o in op) for op in opts)), 64)
        found = []
        for key in keys:
            for form in self.forms.get("".join(key), ()):
                form = _cased(form, word)
                if len(form) == len(word) and all(f in op for f, op in zip(form, opts)):
                    found.append(form)
        return tuple(dict.fromkeys(found))

    @functools.lru_cache(maxsize=1 << 16)  # backward messages ask it for every form of every word
    def follow(self, firsts: tuple[str | None, ...], second: str | None,
               forms: tuple[str, ...]) -> tuple[tuple[float, ...], ...]:
        """For each word of `firsts`, a score for each of `forms` after it and `second` (None for
        a missing word, at the start of a line; all lowercase, as counted): its relative frequency
        after both where that triple was counted, else after `second` alone, else on its own,
        each step back scaled by BACKOFF. As the trigram baseline's, the scores are not normalized."""
        if not self.total:
            return ((1.0,) * len(forms),) * len(firsts)
        scores = self._follow_one(second, forms)
        backed_off = tuple(self.BACKOFF * s for s in scores)
        result = []
        for first in firsts:
            after = self.triples.get(f"{first} {second}") if first and second else None
            if not after:
                result.append(backed_off if first and second else scores)
                continue
            both = self.pairs.get(first, {}).get(second) or sum(after.values())  # pairs may be pruned harder
            result.append(tuple(n / both if (n := after.get(f)) else b for f, b in zip(forms, backed_off)))
        return tuple(result)

    @functools.lru_cache(maxsize=1 << 16)  # follow asks it for every form before, with the same forms
    def _follow_one(self, second: str | None, forms: tuple[str, ...]) -> tuple[float, ...]:
        """`follow` from the word before alone (None: none)."""
        after = self.pairs.get(second, {}) if second else {}
        alone = self.counts.get(second) or sum(after.values())  # digits are counted in pairs only
        scores = []
        for form in forms:
            if n := after.get(form):
                scores.append(n / alone)
            else:
                scores.append((self.BACKOFF if second else 1.0) * self.counts.get(form, 0) / self.total)
        return tuple(scores)
