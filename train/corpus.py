"""Plain-text corpora -> train/dev/test datasets of segments shaped like real input.

A corpus is UTF-8 text, one paragraph per line, `.txt` or `.txt.xz`. Paragraphs go to
dev or test by a hash of their letters (digits, punctuation and case removed, so that
near-duplicates such as the same article with another number land together), and are
then packed into segments of a few lines, `segment_min_bytes` to `segment_max_bytes`.
"""
import hashlib
import random
import re
from pathlib import Path

from datasets import Dataset, DatasetDict, concatenate_datasets, interleave_datasets, load_dataset

from vidiac.infer.config import Config
from vidiac.infer.vietnamese import normalize, strip_diacritics

SPLITS = ("train", "dev", "test")
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+")


def split_of(paragraph: str, dev_per_mille: int, test_per_mille: int) -> str:
    key = _NOT_LETTERS.sub("", strip_diacritics(paragraph).lower())
    bucket = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % 1000
    if bucket < dev_per_mille:
        return "dev"
    return "test" if bucket < dev_per_mille + test_per_mille else "train"


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph longer than a segment, cut at sentence ends, then at spaces."""
    if len(paragraph.encode()) <= limit:
        return [paragraph]
    out, current = [], ""
    for unit in (u for s in _SENTENCE.split(paragraph) for u in _split_words(s, limit)):
        if current and len(current.encode()) + 1 + len(unit.encode()) > limit:
            out.append(current)
            current = unit
        else:
            current = f"{current} {unit}" if current else unit
    return out + [current] if current else out


def _split_words(sentence: str, limit: int) -> list[str]:
    if len(sentence.encode()) <= limit:
        return [sentence]
    return [w[: limit // 4] for w in sentence.split()]  # a word longer than a segment is cut short


def pack_segments(paragraphs: list[str], rng: random.Random, low: int, high: int) -> list[str]:
    """Consecutive paragraphs, one per line, packed into segments of about low..high bytes."""
    segments, lines, size, goal = [], [], 0, rng.randint(low, high)
    for para in paragraphs:
        for piece in _pieces(para, high):
            n = len(piece.encode())
            if lines and size + 1 + n > goal:
                segments.append("\n".join(lines))
                lines, size, goal = [], 0, rng.randint(low, high)
            lines.append(piece)
            size += n + (1 if size else 0)
            if size >= goal:
                segments.append("\n".join(lines))
                lines, size, goal = [], 0, rng.randint(low, high)
    if lines:
        segments.append("\n".join(lines))
    return segments


def read_lines(path: str, max_lines: int | None = None) -> Dataset:
    if not Path(path).is_file():
        raise FileNotFoundError(f"corpus {path}: no such file (corpus paths are set in the config's train.corpora)")
    split = f"train[:{max_lines}]" if max_lines else "train"
    return load_dataset("text", data_files=path, split=split)


def split_paragraphs(corpus: str, cfg: Config, split: str, max_lines: int | None = None):
    """The non-empty paragraphs of `corpus` (its first `max_lines` lines) in `split`, NFC."""
    tc = cfg.train
    for line in read_lines(corpus, max_lines)["text"]:
        line = normalize(line.strip())
        if line and split_of(line, tc.dev_per_mille, tc.test_per_mille) == split:
            yield line


def build_splits(cfg: Config) -> DatasetDict:
    """Segments for train (corpora mixed by weight), dev and test (all corpora, in order)."""
    tc = cfg.train
    if not tc.corpora:
        raise ValueError("train.corpora is empty: list at least one corpus path")
    per_split = {s: [] for s in SPLITS}
    for n, corpus in enumerate(tc.corpora):
        lines = read_lines(corpus.path, tc.max_lines)

        def segment(batch, indices):
            rng = random.Random(tc.seed * 1_000_003 + n * 7919 + indices[0])
            buckets = {s: [] for s in SPLITS}
            for line in batch["text"]:
                line = normalize(line.strip())
                if line:
                    buckets[split_of(line, tc.dev_per_mille, tc.test_per_mille)].append(line)
            out = {"text": [], "split": []}
            for s, paras in buckets.items():
                segs = pack_segments(paras, rng, tc.segment_min_bytes, tc.segment_max_bytes)
                out["text"] += segs
                out["split"] += [s] * len(segs)
            out["length"] = [len(t.encode()) for t in out["text"]]
            return out

        segs = lines.map(segment, batched=True, batch_size=2000, with_indices=True,
                         remove_columns=lines.column_names, desc=f"segmenting {Path(corpus.path).name}")
        for s in SPLITS:
            per_split[s].append((segs.filter(lambda x, s=s: x["split"] == s).remove_columns("split"), corpus.weight))
    train_parts = [d for d, _ in per_split["train"]]
    if len(train_parts) > 1:
        weights = [w for _, w in per_split["train"]]
        train = interleave_datasets(train_parts, probabilities=[w / sum(weights) for w in weights],
                                    seed=tc.seed, stopping_strategy="all_exhausted")
    else:
        train = train_parts[0]
    train = length_bucketed(train, tc.batch_size * tc.grad_accum * 50, tc.seed)
    return DatasetDict(train=train, **{s: concatenate_datasets([d for d, _ in per_split[s]]) for s in ("dev", "test")})


def length_bucketed(data: Dataset, block: int, seed: int) -> Dataset:
    """Shuffled, then sorted by length within blocks of `block` rows.

    Read in order, consecutive batches hold segments of similar length, so little of each
    batch is padding; the blocks themselves stay in random order.
    """
    def sort_block(batch):
        order = sorted(range(len(batch["length"])), key=batch["length"].__getitem__, reverse=True)
        return {k: [v[i] for i in order] for k, v in batch.items()}

    return data.shuffle(seed=seed).flatten_indices().map(sort_block, batched=True, batch_size=block,
                                                          desc="bucketing by length")
