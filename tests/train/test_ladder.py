import json

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from tests.conftest import FIXTURE
from vidiac.train import ladder
from vidiac.train.corpus import split_of
from vidiac.train.ocr_pairs import read_corpus

ROWS = [("header", [("bold", "left", "UBND XÃ BA BÍCH"), ("bold", "right", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")]),
        ("header", [("bold", "centre", "BÁO CÁO")]),
        ("body", [("regular", "indent", "Ủy ban nhân dân xã đã phổ biến kế hoạch cải cách hành chính đến "
                                        "toàn thể cán bộ, công chức và nhân dân trên địa bàn.")])]


def test_the_same_seed_scans_the_same_page_and_each_level_lower():
    scans = {}
    for n, level in enumerate(ladder.LEVELS, 1):
        scan, text, centres, geometry = ladder.render(ROWS, level, seed=5)
        again, *_ = ladder.render(ROWS, level, seed=5)
        assert np.array_equal(np.asarray(scan), np.asarray(again))  # seeded: the same image
        assert scan.width == round(ladder.PAGE[0] * level.dpi / ladder.DPI)
        assert len(text) == len(centres) and text[0] == "UBND XÃ BA BÍCH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        scans[n] = scan
    other, *_ = ladder.render(ROWS, ladder.LEVELS[-1], seed=6)
    assert not np.array_equal(np.asarray(other), np.asarray(scans[len(ladder.LEVELS)]))  # another seed, another scan
    dpis = [level.dpi for level in ladder.LEVELS]
    assert dpis[0] == 300 and dpis[:5] == sorted(dpis[:5], reverse=True)  # from an office scan down to a fax


def test_pages_are_laid_out_as_administrative_documents_from_one_split():
    lines = read_corpus(str(FIXTURE))
    pages = ladder.plan(lines, 2, "train", (5, 5), ladder.units(None), seed=1)
    assert len(pages) == 2
    for rows in pages:
        assert rows[0][1][1][2] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and rows[3][1][0][2] in ladder.TITLES
        body = [text for kind, pieces in rows if kind == "body" for _, how, text in pieces if how == "indent"]
        assert body and all(split_of(text, 5, 5) == "train" for text in body)
    printed = ladder.layout(pages[0])
    width = ladder.PAGE[0] - ladder.MARGINS[2]
    assert all(x + ladder.font(face.split(":")[0],
                               int(face.split(":")[1]) if ":" in face else ladder.SIZE).getlength(t)
               <= width for row in printed for face, x, t in row)  # every printed row fits the page


def test_every_level_is_read_by_the_engine_and_no_line_is_dropped(tmp_path):
    levels = [(1, ladder.LEVELS[0]), (5, ladder.LEVELS[4])]
    records = ladder.read_page((0, ROWS, levels, ["vie"], 6, 3))
    assert [(r["level"], r["engine"]) for r in records] == [(1, "vie"), (5, "vie")]
    for r in records:
        assert r["source"].count("\n") == r["target"].count("\n")  # a row per printed row, read or not
    clean, fax = (Levenshtein.normalized_distance(r["source"], r["target"]) for r in records)
    assert clean < 0.03 and clean <= fax  # the clean scan is read almost exactly, the fax no better


def test_the_cli_writes_records_of_every_level_and_engine(tmp_path, capsys):
    out = tmp_path / "ladder.jsonl"
    assert ladder.main(["build", "--corpus", str(FIXTURE), "--split", "train", "--pages", "1", "--engines", "vie",
                        "--workers", "1", "--gazetteer", str(tmp_path / "none.json"), "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["level"] for r in records) == list(range(1, len(ladder.LEVELS) + 1))
    assert all(r["split"] == "train" and r["engine"] == "vie" for r in records)
    with pytest.raises(SystemExit):
        ladder.main(["build", "--corpus", str(tmp_path / "missing.txt"), "-o", str(out)])
    assert "no such file" in capsys.readouterr().err
