"""The word forms seen in training, most frequent first: decoding's vocabulary and its prior.

The lexicon in a model directory (`lexicon.npz`, `lexicon-triples.npz`) maps a stripped
lowercase word to the accented forms training saw for it (`quan` -> `quan`, `quản`, `quân`,
`quần`). Restoring `quan` then means choosing among real words, never inventing `quẩn̉`; a
word training never saw is restored letter by letter.

It also counts every token of the training text (words, and punctuation marks one by one),
every pair and every triple of neighbouring tokens on a line (`cơ quan`, `điều 5 .`,
`. phạm vi`): a token trigram model, smoothed by interpolated Kneser-Ney. Decoding draws
from it a prior over a word's forms given the two tokens restored before it and every token
after it on the line, which it adds to the model's scores (shallow fusion,
`infer.prior_weight`) and drafts from: `co quan quan ly` is `cơ quan quản lý` before the
model has read it.
"""
import functools
import itertools
import re
import zipfile
from pathlib import Path

import numpy as np

from .confusions import LATIN_OCR
from .vietnamese import BASE, WORD, cased, set_tone_style, strip_diacritics

# The tokens, their counts, forms and pairs; the triples, in shards where one file would pass
# MAX_FILE_BYTES (lexicon-triples-00001-of-00002.npz), as the weights are.
LEXICON_FILES = ("lexicon.npz", "lexicon-triples.npz")
TRIPLE_SHARDS = "lexicon-triples-{:05d}-of-{:05d}.npz"
MAX_FILE_BYTES = 15_000_000
OLD_LEXICON_NAMES = ("lexicon.json.gz", "lexicon.json")  # as vidiac wrote them before the token n-grams
# What the n-grams count: words (letters and digits), and each other visible character.
TOKEN = re.compile(WORD.pattern + r"|\S")
MODES = ("skeleton", "ocr")
NONE, UNKNOWN = -1, -2  # token ids of a missing token (before the first of a line) and of one never counted
# A word that the counted text holds at most this share of its tokens, 20 of the shipped
# lexicon's 71 million, is a typo or a misreading, not a word pruned from the forms: `kiếu` is
# there 3 times, `tuối` 8, `chuấn` 11; `chì` 686, `ghì` 36, `dề` 51.
ATTESTED = 3e-7

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


class Lexicon:
    # Modified Kneser-Ney's discounts of a triple seen once, twice, three times or more. Chosen on
    # the dev sets rather than from counts of counts: news is counted twice
    # (train.corpora lexicon_weight), so most triples seen twice are news seen once.
    TRIPLE_DISCOUNTS = (0.6, 1.5, 1.5)
    BACKOFF = 0.4  # backoff_tables: a sequence never counted scores this share of its shorter context's

    def __init__(self, forms: dict[str, list[str]], counts: dict[str, int] | None = None,
                 ngrams: dict[tuple[str, ...], int] | None = None):
        """`forms`: stripped lowercase word -> its forms, most frequent first; `counts`: token ->
        sightings; `ngrams`: pairs and triples of neighbouring tokens -> sightings. Tokens are
        lowercase, as counted."""
        counts, ngrams = counts or {}, ngrams or {}
        vocab = list(dict.fromkeys([*counts, *(f for fs in forms.values() for f in fs),
                                    *(t for g in ngrams for t in g)]))
        ids, by_length = {t: i for i, t in enumerate(vocab)}, {2: {}, 3: {}}
        for gram, n in ngrams.items():
            key = 0
            for t in gram:
                key = key * len(vocab) + ids[t]
            by_length[len(gram)][key] = n
        self._setup(vocab, np.array([counts.get(t, 0) for t in vocab], dtype=np.uint32),
                    *_sorted(by_length[2]), *_sorted(by_length[3]), forms)

    def _setup(self, vocab: list[str], counts: np.ndarray, pair_keys: np.ndarray, pair_counts: np.ndarray,
               triple_keys: np.ndarray, triple_counts: np.ndarray, forms: dict[str, list[str]],
               left_types: np.ndarray | None = None) -> None:
        if len(vocab) ** 3 >= 2 ** 63:
            raise ValueError(f"{len(vocab):,} tokens: too many to key their triples in 64 bits")
        # Token ids, and pairs and triples as sorted keys (a * V + b, (a * V + b) * V + c) with
        # their counts: a tenth of the memory of nested dicts, and loaded without building a key.
        self.vocab, self.ids = vocab, {t: i for i, t in enumerate(vocab)}
        self.counts, self.pair_keys, self.pair_counts = counts, pair_keys, pair_counts
        self._counts = counts.tolist()  # read one at a time: a list's items are faster than an array's
        self.triple_keys, self.triple_counts = triple_keys, triple_counts
        self.forms = forms
        self.total = int(counts.sum())
        self._smoothing(left_types)

    def _smoothing(self, left_types: np.ndarray | None = None) -> None:
        """What interpolated Kneser-Ney (Chen and Goodman 1998) needs beside the counts: for each
        pair counted as the first two of a triple, its triples' sightings and how many tokens
        follow it once, twice and more; for each pair, how many tokens it follows in triples; for
        each token, how many triples it stands in the middle of and how many tokens follow it
        there, and how many tokens it follows in pairs; and the discount of the pairs' order,
        n1 / (n1 + 2 n2) of those distinct counts, which weighting does not touch. All are derived
        from the counts, in a fraction of a second for the shipped lexicon, but for `left_types`
        (how many tokens each pair follows): `save` writes it, since finding it took 1.5 s."""
        size, keys = len(self.vocab), self.triple_keys
        starts = np.flatnonzero(np.diff(keys // size, prepend=-1)) if len(keys) else np.zeros(0, np.int64)
        self.history_keys = keys[starts] // size
        self.history_total = np.add.reduceat(self.triple_counts.astype(np.int64), starts) if len(keys) else starts
        # The mass the triples after each such pair give up: what each of them is discounted by,
        # by how many tokens follow the pair once, twice, three times or more.
        self.history_spared = np.zeros(len(starts))
        for d, seen in zip(self.TRIPLE_DISCOUNTS, (self.triple_counts == 1, self.triple_counts == 2,
                                                   self.triple_counts >= 3)):
            self.history_spared += d * (np.add.reduceat(seen.astype(np.int64), starts) if len(keys) else 0)
        # How many tokens each pair follows; the start of a line counts as one, where the pair was
        # seen more often than the triples that end in it.
        self.left_keys = self.pair_keys
        if left_types is None:
            suffixes, inverse = np.unique(keys % (size * size), return_inverse=True)
            within = np.bincount(inverse, weights=self.triple_counts, minlength=len(suffixes))
            left_types = (_lookup(suffixes, np.bincount(inverse, minlength=len(suffixes)), self.pair_keys)
                          + (self.pair_counts > _lookup(suffixes, within, self.pair_keys)))
        self.left_types = left_types.astype(np.int64)
        middle = self.left_keys // size
        self.middle_total = np.bincount(middle, weights=self.left_types, minlength=size)
        self.middle_types = np.bincount(middle, minlength=size)
        # How many tokens each token follows, the start of a line again counting as one.
        seconds = self.pair_keys % size
        pairs_into = np.bincount(seconds, weights=self.pair_counts, minlength=size)
        self.before_types = np.bincount(seconds, minlength=size) + (self.counts > pairs_into)
        self.before_total = max(int(self.before_types.sum()), 1)
        self.discount = _discount(self.left_types)

    @classmethod
    def load(cls, model_dir: str | Path) -> "Lexicon":
        """The directory's lexicon; an empty one (letter-by-letter decoding) where there is none."""
        model_dir = Path(model_dir)
        paths = [model_dir / n for n in LEXICON_FILES]
        if not paths[0].is_file():
            if any((model_dir / n).is_file() for n in OLD_LEXICON_NAMES):
                raise ValueError(f"{model_dir}: its lexicon is in an older vidiac's format (recount it: "
                                 f"python -m vidiac.train.lexicon {model_dir})")
            return cls({})
        try:
            words = _read(paths[0], ("vocab", "counts", "pair_keys", "pair_counts", "forms"), ("pair_left",))
            shards = [_read(path, ("keys", "counts")) for path in _triple_files(model_dir)]
            triple_keys = np.concatenate([_unpacked(t["keys"], np.int64, delta=True) for t in shards]
                                         or [np.zeros(0, np.int64)])
            triple_counts = np.concatenate([_unpacked(t["counts"], np.uint32) for t in shards]
                                           or [np.zeros(0, np.uint32)])
            vocab = words["vocab"].tobytes().decode("utf-8").split("\n") if words["vocab"].size else []
            counts = _unpacked(words["counts"], np.uint32)
            forms = words["forms"]
            if len(counts) != len(vocab) or (forms.size and not 0 <= forms.min() <= forms.max() < len(vocab)):
                raise ValueError(f"{paths[0]}: not a lexicon written by vidiac ({len(vocab)} tokens, "
                                 f"{len(counts)} counts)")
            lexicon = cls.__new__(cls)
            left = words.get("pair_left")  # not in a lexicon an older vidiac wrote
            lexicon._setup(vocab, counts, _unpacked(words["pair_keys"], np.int64, delta=True),
                           _unpacked(words["pair_counts"], np.uint32), triple_keys, triple_counts,
                           _grouped([vocab[i] for i in words["forms"].tolist()]),
                           None if left is None else _unpacked(left, np.uint32))
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"{e}; recount it: python -m vidiac.train.lexicon {model_dir}") from None
        return lexicon

    def save(self, model_dir: str | Path, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        """Write the lexicon's files, the triples in shards of at most about `max_file_bytes`."""
        model_dir = Path(model_dir)
        np.savez_compressed(model_dir / LEXICON_FILES[0],
                            vocab=np.frombuffer("\n".join(self.vocab).encode("utf-8"), dtype=np.uint8),
                            counts=_packed(self.counts), pair_keys=_packed(self.pair_keys, delta=True),
                            pair_counts=_packed(self.pair_counts),
                            pair_left=_packed(self.left_types.astype(np.uint32)),
                            forms=np.array([self.ids[f] for fs in self.forms.values() for f in fs], dtype=np.int64))
        for old in _triple_files(model_dir):
            old.unlink()
        # Compressed sizes are known once written: the whole first, then shards of a size to fit.
        whole = model_dir / LEXICON_FILES[1]
        np.savez_compressed(whole, keys=_packed(self.triple_keys, delta=True), counts=_packed(self.triple_counts))
        if whole.stat().st_size <= max_file_bytes:
            return
        n = -(-whole.stat().st_size * 11 // 10 // max_file_bytes)  # a tenth to spare: shards compress unevenly
        whole.unlink()
        bounds = np.linspace(0, len(self.triple_keys), n + 1).astype(int)
        for i, (a, b) in enumerate(zip(bounds, bounds[1:]), 1):  # each shard delta-coded from 0, read alone
            np.savez_compressed(model_dir / TRIPLE_SHARDS.format(i, n),
                                keys=_packed(self.triple_keys[a:b], delta=True),
                                counts=_packed(self.triple_counts[a:b]))

    def count(self, *tokens: str) -> int:
        """Sightings of one token, a pair or a triple (lowercase)."""
        if any(t not in self.ids for t in tokens) or not 1 <= len(tokens) <= 3:
            return 0
        ids = [self.ids[t] for t in tokens]
        if len(ids) == 1:
            return self._counts[ids[0]]
        keys, counts = (self.pair_keys, self.pair_counts) if len(ids) == 2 else (self.triple_keys, self.triple_counts)
        return int(_lookup(keys, counts, np.array([self._key(*ids)]))[0])

    def attests(self, word: str) -> bool:
        """Whether the counted text holds `word` (lowercase) often enough to be a word, not a typo or
        a misreading (ATTESTED), with its tone marks placed either way; a text too small to tell
        (under 1 / ATTESTED tokens, where a word's expected sightings are under one) attests all."""
        floor = ATTESTED * self.total
        return floor < 1 or max(self.count(set_tone_style(word, style)) for style in ("traditional", "modern")) > floor

    def _key(self, *ids):
        """The sorted key of a pair or triple of token ids (ints or arrays)."""
        key = ids[0]
        for i in ids[1:]:
            key = key * len(self.vocab) + i
        return key

    def __str__(self) -> str:
        return (f"{sum(map(len, self.forms.values())):,} forms of {len(self.forms):,} words, "
                f"{len(self.pair_keys):,} token pairs and {len(self.triple_keys):,} triples, "
                f"counted from {self.total:,} tokens")

    @functools.lru_cache(maxsize=1 << 16)  # text repeats its words
    def candidates(self, word: str, mode: str) -> tuple[str, ...]:
        """The forms `word` may be restored to, in the input's case, most frequent first."""
        opts = [options(c, mode) for c in word]
        letters = (dict.fromkeys(strip_diacritics(o).lower() for o in op) for op in opts)
        keys = itertools.islice(itertools.product(*letters), 64)
        found = []
        for key in keys:
            for form in self.forms.get("".join(key), ()):
                form = cased(form, word)
                # a character with no case takes the word's (`XÃ` for `X4`); its options are lowercase
                if len(form) == len(word) and all(f in op or f.lower() in op for f, op in zip(form, opts)):
                    found.append(form)
        return tuple(dict.fromkeys(found))

    @functools.lru_cache(maxsize=1 << 16)  # decoding asks it again for each word it reaches
    def follow(self, firsts: tuple[str | None, ...], second: str | None,
               forms: tuple[str, ...], noise: float = 0.0) -> tuple[tuple[float, ...], ...]:
        """For each token of `firsts`, a score for each of `forms` after it and `second`: `tables`
        for one second token."""
        return tuple(tuple(row) for row in self.tables([(firsts, (second,), forms)], noise)[0][:, 0].tolist())

    def tables(self, queries: list[tuple[tuple, tuple, tuple]], noise: float = 0.0) -> list[np.ndarray]:
        """For each query (firsts, seconds, thirds) of tokens (lowercase, as counted; None for a
        missing token, at the start of a line), the array [a, b, c] of the probability of thirds[c]
        after firsts[a] and seconds[b] under interpolated Kneser-Ney: the triple's discounted
        share of what follows the pair, plus the rest spread as the token follows the second
        alone, whose own share (of the distinct tokens seen before the pair) is interpolated with
        how many distinct tokens the third follows. The first token of a line (no second) takes
        its relative frequency. `noise`: the chance that the third is misread (OCR), and as
        likely after any pair as its relative frequency, mixed in at that weight; without it, a
        garbled token after a pair that nearly always leads one way (`cộng hòa xã` / `họ`) would
        overrule the pair. All queries are looked up at once: a line's worth of triples costs
        one search of the sorted keys instead of one per triple."""
        if not self.total:
            return [np.ones((len(f), len(s), len(t))) for f, s, t in queries]
        if not queries:
            return []
        d2 = self.discount
        shapes, ids, starts = self._ids(queries)
        # A pair is looked up once per query, not once per triple it is part of: the third after
        # the second on each query's grid of (second, third), and what follows the pair (first,
        # second) on its grid of (first, second).
        query, (j, k), bc_at = _cells(shapes[:, 1:])
        b, c = ids[starts[query, 1] + j], ids[starts[query, 2] + k]
        known_c = np.maximum(c, 0)
        alone = np.where(c >= 0, self.counts[known_c] / self.total, 0.0)
        spread = np.where(c >= 0, self.before_types[known_c] / self.before_total, 0.0)
        known_b = np.maximum(b, 0)
        left = _lookup(self.left_keys, self.left_types, np.where((b >= 0) & (c >= 0), self._key(b, c), -1))
        middle = np.where(b >= 0, self.middle_total[known_b], 0.0)
        after_b = np.where(middle > 0, (np.maximum(left - d2, 0.0) + d2 * self.middle_types[known_b] * spread)
                           / np.maximum(middle, 1.0), spread)
        after_b = np.where(b == NONE, alone, after_b)
        query, (i, j), ab_at = _cells(shapes[:, :2])
        a, b = ids[starts[query, 0] + i], ids[starts[query, 1] + j]
        # A pair's triples' total and the mass they give up, from one search.
        at_pair, seen = _find(self.history_keys, np.where((a >= 0) & (b >= 0), self._key(a, b), -1))
        total = np.where(seen, self.history_total[at_pair], 0) if seen.any() else np.zeros(len(a))
        spared = np.where(seen, self.history_spared[at_pair], 0.0) if seen.any() else np.zeros(len(a))
        # Then each triple, looked up only where its first pair starts any.
        query, (i, j, k), at = _cells(shapes)
        after_b = after_b[bc_at[query] + j * shapes[query, 2] + k]
        cell = ab_at[query] + i * shapes[query, 1] + j
        total, spared = total[cell], spared[cell]
        a, b, c = (ids[starts[query, d] + x] for d, x in enumerate((i, j, k)))
        counted = np.flatnonzero((c >= 0) & (total > 0))
        triples = np.zeros(len(a), dtype=np.float64)
        triples[counted] = _lookup(self.triple_keys, self.triple_counts, self._key(a[counted], b[counted], c[counted]))
        d3 = np.choose(np.minimum(triples, 3).astype(np.int64), (0.0, *self.TRIPLE_DISCOUNTS))
        scores = np.where(total > 0, (triples - d3 + spared * after_b) / np.maximum(total, 1), after_b)
        if noise:
            scores = (1 - noise) * scores + noise * np.where(c >= 0, self.counts[np.maximum(c, 0)] / self.total, 0.0)
        return [part.reshape(shape) for part, shape in zip(np.split(scores, at[1:]), shapes.tolist())]

    def backoff_tables(self, queries: list[tuple[tuple, tuple, tuple]]) -> list[np.ndarray]:
        """`tables` under stupid backoff (Brants et al. 2007): a triple's relative frequency after
        its pair where it was counted, else after the second token alone, else on its own, each
        step back scaled by BACKOFF; not normalized. The corrector scores by it: its thresholds
        (infer.sure_correction, the score of a word left as written) were chosen on these scores,
        and with Kneser-Ney's, OCR noise mixed in as decoding does, the dev ladder's `eng` pages
        lose 1.2 to 1.7 points from copies of copies down."""
        if not self.total:
            return [np.ones((len(f), len(s), len(t))) for f, s, t in queries]
        if not queries:
            return []
        shapes, ids, starts = self._ids(queries)
        # A pair is looked up once per query, not once per triple it is part of: the scores of the
        # third after the second on each query's grid of (second, third), and the counts of the
        # pairs (first, second) on its grid of (first, second).
        query, (j, k), bc_at = _cells(shapes[:, 1:])
        b, c = ids[starts[query, 1] + j], ids[starts[query, 2] + k]
        alone = np.where(c >= 0, self.counts[np.maximum(c, 0)] / self.total, 0.0)
        pairs = _lookup(self.pair_keys, self.pair_counts, np.where((b >= 0) & (c >= 0), self._key(b, c), -1))
        after_b = np.where(pairs > 0, pairs / np.maximum(self.counts[np.maximum(b, 0)], 1), self.BACKOFF * alone)
        after_b = np.where(b == NONE, alone, after_b)
        query, (i, j), ab_at = _cells(shapes[:, :2])
        a, b = ids[starts[query, 0] + i], ids[starts[query, 1] + j]
        both = _lookup(self.pair_keys, self.pair_counts, np.where((a >= 0) & (b >= 0), self._key(a, b), -1))
        # Then each triple, looked up only where its first pair was counted.
        query, (i, j, k), at = _cells(shapes)
        after_b = after_b[bc_at[query] + j * shapes[query, 2] + k]
        both = both[ab_at[query] + i * shapes[query, 1] + j]
        a, b, c = (ids[starts[query, d] + x] for d, x in enumerate((i, j, k)))
        counted = np.flatnonzero((a >= 0) & (b >= 0) & (c >= 0) & (both > 0))
        triples = np.zeros(len(a), dtype=self.triple_counts.dtype)
        triples[counted] = _lookup(self.triple_keys, self.triple_counts, self._key(a[counted], b[counted], c[counted]))
        after_ab = np.where(triples > 0, triples / np.maximum(both, 1), self.BACKOFF * after_b)
        scores = np.where((a == NONE) | (b == NONE), after_b, after_ab)
        return [part.reshape(shape) for part, shape in zip(np.split(scores, at[1:]), shapes.tolist())]

    def _ids(self, queries: list[tuple[tuple, tuple, tuple]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The queries' tokens as ids, in one flat array; each query's three list lengths; and
        where each list starts in the array."""
        shapes = np.array([[len(tokens) for tokens in query] for query in queries], dtype=np.int64).reshape(-1, 3)
        ids = np.array([self.ids.get(t, UNKNOWN) if t is not None else NONE
                        for query in queries for tokens in query for t in tokens], dtype=np.int64)
        return shapes, ids, (np.cumsum(shapes.ravel()) - shapes.ravel()).reshape(-1, 3)


def _cells(shapes: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Every cell of every grid of `shapes` (one row of sizes per grid), in row-major order,
    without a Python loop over them: each cell's grid, its index along each axis, and where each
    grid's cells start."""
    sizes = shapes.prod(1)
    at = np.cumsum(sizes) - sizes
    grid = np.repeat(np.arange(len(shapes)), sizes)
    cell = np.arange(sizes.sum()) - at[grid]
    index = []
    for axis in reversed(range(shapes.shape[1])):
        index.insert(0, cell % shapes[grid, axis])
        cell = cell // shapes[grid, axis]
    return grid, index, at


def _discount(counts: np.ndarray) -> float:
    """Kneser-Ney's discount for an order whose counts are `counts`: n1 / (n1 + 2 n2) (Ney et al. 1994)."""
    n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
    return n1 / (n1 + 2 * n2) if n1 and n2 else 0.5  # too few counts to estimate from: halfway


def _lookup(keys: np.ndarray, counts: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The count of each query key in sorted `keys`, 0 where it is not there (a negative query never is)."""
    at, hit = _find(keys, queries)
    return np.where(hit, counts[at], 0) if len(keys) else np.zeros(len(queries), dtype=np.uint32)


def _find(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each query key would stand in sorted `keys`, and whether it is there."""
    at = np.minimum(keys.searchsorted(queries), max(len(keys) - 1, 0))
    return at, (keys[at] == queries) if len(keys) else np.zeros(len(queries), dtype=bool)


def _sorted(counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    keys = np.array(sorted(counts), dtype=np.int64)
    return keys, np.array([counts[k] for k in keys.tolist()], dtype=np.uint32)


def _packed(a: np.ndarray, delta: bool = False) -> np.ndarray:
    """`a` (or, where `delta`, the differences of its sorted values) as byte planes, least
    significant first: the planes of high bytes are nearly all zero, which deflate packs to
    almost nothing (the shipped triples take 14.7 MB, where the plain arrays take 20.3)."""
    if delta:
        a = np.diff(a, prepend=a.dtype.type(0))
    return np.ascontiguousarray(np.ascontiguousarray(a).view(np.uint8).reshape(-1, a.itemsize).T)


def _unpacked(planes: np.ndarray, dtype, delta: bool = False) -> np.ndarray:
    a = np.ascontiguousarray(planes.T).view(dtype).ravel()
    return np.cumsum(a, dtype=dtype) if delta else a


def _read(path: Path, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as arrays:
            return {n: arrays[n] for n in names + tuple(n for n in optional if n in arrays.files)}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"{path}: not a lexicon written by vidiac ({e})") from None


def _triple_files(model_dir: Path) -> list[Path]:
    """The triples' file, or its shards in order; an error where shards are missing."""
    if (model_dir / LEXICON_FILES[1]).is_file():
        return [model_dir / LEXICON_FILES[1]]
    shards = sorted(model_dir.glob("lexicon-triples-*-of-*.npz"))
    if shards:
        n = int(shards[0].stem.rsplit("-", 1)[1])
        expected = [model_dir / TRIPLE_SHARDS.format(i, n) for i in range(1, n + 1)]
        if shards != expected:
            raise ValueError(f"{model_dir}: lexicon triples shards {', '.join(p.name for p in shards)}; "
                             f"expected {n} of them")
    return shards


def _grouped(forms: list[str]) -> dict[str, list[str]]:
    grouped = {}
    for form in forms:
        grouped.setdefault(strip_diacritics(form), []).append(form)
    return grouped
