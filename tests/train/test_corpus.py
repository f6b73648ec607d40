import random

from tests.conftest import FIXTURE, tiny_config
from vidiac.train.corpus import build_splits, pack_segments, split_of


def test_split_is_deterministic_and_folds_near_duplicates():
    a = "Điều 5. Cơ quan, tổ chức có trách nhiệm thi hành Quyết định này."
    b = "Điều 7 - cơ quan, tổ chức có trách nhiệm thi hành quyết định này"
    assert split_of(a, 5, 5) == split_of(a, 5, 5) == split_of(b, 5, 5)
    splits = [split_of(f"đoạn văn số {i} " + "x" * (i % 13) + chr(97 + i % 26), 100, 100) for i in range(3000)]
    assert 0.15 < sum(s != "train" for s in splits) / len(splits) < 0.25


def test_segments_keep_every_paragraph_in_order_within_bounds():
    paragraphs = [line.strip() for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    segments = pack_segments(paragraphs, random.Random(0), 64, 256)
    assert all(len(s.encode()) <= 256 for s in segments)
    assert " ".join(s.replace("\n", " ") for s in segments).split() == " ".join(paragraphs).split()
    assert sum(len(s.encode()) >= 64 for s in segments) / len(segments) > 0.8


def test_build_splits_from_a_plain_text_corpus_never_leaks(tmp_path):
    data = build_splits(tiny_config(tmp_path))
    assert set(data) == {"train", "dev", "test"} and all(len(data[s]) for s in data)
    lines = {s: {line for t in data[s]["text"] for line in t.split("\n")} for s in data}
    assert not lines["train"] & lines["dev"] and not lines["train"] & lines["test"]
    again = build_splits(tiny_config(tmp_path))
    assert again["dev"]["text"] == data["dev"]["text"]
    block = list(data["train"]["length"][:200])  # one bucketing block of the tiny config
    assert block == sorted(block, reverse=True) and len(set(block)) > 10
