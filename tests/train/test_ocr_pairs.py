import json
import random

import pytest
from rapidfuzz.distance import Levenshtein

from tests.conftest import FIXTURE
from vidiac.train import ocr_pairs
from vidiac.train.confusion_model import ConfusionModel, apply, emissions
from vidiac.train.corpus import split_of
from vidiac.train.ocr_report import compare, format_report

PARAGRAPHS = [
    "3. Kết hợp chặt chẽ giữa nhiệm vụ bảo vệ an ninh quốc gia với nhiệm vụ xây dựng, phát triển kinh tế, "
    "văn hoá, xã hội; phối hợp có hiệu quả hoạt động an ninh, quốc phòng và đối ngoại.",
    "(Điều 3 Nghị định số 38/2006/NĐ-CP, có hiệu lực thi hành kể từ ngày 15/05/2006)",
]
# A clean scan, tilted enough that mapping words back through the tilt the wrong way round
# would put the ends of the long lines on their neighbours.
STYLE = {"font": "liberation-serif", "size": 40, "pitch": 60, "margin": 100, "lines": 10, "ink": 20,
         "paper": 250, "stroke": "normal", "blur": 0.5, "angle": 2.5, "scale": 0.8, "speckle": 3.0, "seed": 7}


def test_tesseract_lines_pair_with_the_printed_lines_and_vie_reads_vietnamese():
    font = ocr_pairs.load_font(STYLE["font"], STYLE["size"])
    blocks = [ocr_pairs.wrap(p, font, ocr_pairs.PAGE_WIDTH - 2 * STYLE["margin"]) for p in PARAGRAPHS]
    assert [len(b) for b in blocks] == [2, 1]
    result = ocr_pairs.ocr_page((0, STYLE, blocks, ["eng", "vie"], 6, "train"))
    assert result["dropped"] == {} and result["lines"] == 3
    by_engine = {e: [r for r in result["records"] if r["engine"] == e] for e in ("eng", "vie")}
    cer = {}
    for engine, records in by_engine.items():
        assert [r["target"] for r in records] == ["\n".join(b) for b in blocks]
        read = [line for r in records for line in r["source"].split("\n")]
        clean = [line for b in blocks for line in b]
        assert len(read) == len(clean)
        for i, line in enumerate(read):  # each OCR line is nearest its own printed line
            distances = [Levenshtein.normalized_distance(line, c) for c in clean]
            assert distances.index(min(distances)) == i
        cer[engine] = Levenshtein.distance("\n".join(read), "\n".join(clean)) / len("\n".join(clean))
    assert cer["vie"] < 0.05 < cer["eng"]  # eng drops the marks: Kết -> Két, chặt -> chat


def test_an_unreadable_page_is_dropped_and_counted():
    result = ocr_pairs.ocr_page((0, {**STYLE, "scale": 0.15}, [PARAGRAPHS[1:]], ["vie"], 6, "train"))
    assert result["records"] == [] and result["dropped"]["vie"] in ("line not read", "page unreadable")


def test_pages_take_each_paragraph_of_the_split_once_and_fit_the_width():
    lines = ocr_pairs.read_corpus(str(FIXTURE))
    pages = list(ocr_pairs.plan_pages(lines, 120, "train", (5, 5), seed=3))
    printed = [line for _, _, blocks in pages for block in blocks for line in block]
    assert len(printed) == 120 and len(pages) > 3
    firsts = [block[0] for _, _, blocks in pages for block in blocks]
    assert len(set(firsts)) == len(firsts)
    paragraphs = [p for p in (line.decode().strip() for line in lines) if p]
    for _, style, blocks in pages:
        font = ocr_pairs.load_font(style["font"], style["size"])
        assert all(font.getlength(line) <= ocr_pairs.PAGE_WIDTH - 2 * style["margin"] for b in blocks for line in b)
        for block in blocks:
            source = next(p for p in paragraphs if p.startswith(block[0]))
            assert split_of(source, 5, 5) == "train" and " ".join(block) in source
    dev = [b for _, _, blocks in ocr_pairs.plan_pages(lines, 500, "dev", (5, 5), seed=3) for b in blocks]
    assert 0 < len(dev) <= 4  # the fixture holds 4 dev paragraphs; planning stops when they run out
    with pytest.raises(ocr_pairs.PairsError, match="corpus line 2: not UTF-8 at byte 3"):
        list(ocr_pairs.plan_pages([b"", b"abc\xff"], 5, "train", (5, 5), seed=0))


def test_emissions_carry_substitutions_deletions_and_insertions():
    assert emissions("hòa", "hoa") == ["h", "o", "a"]
    assert emissions("mặt.", "rnat") == ["rn", "a", "t", ""]
    assert emissions("ab", "xab") == ["xa", "b"]
    assert emissions("", "x") == []


def test_confusion_model_learns_context_and_samples_it(tmp_path):
    # `ệ` is read `é`; `o` is read `ó` after `h` only; `.` is dropped at a line end.
    clean = "nghiệp ho co.\nhệ ho co"
    ocr = "nghiép hó co\nhé hó co"
    model = ConfusionModel.fit([(ocr, clean)] * 20)
    rng = random.Random(0)
    out = [apply("hệ ho co.\nxyz", rng, model) for _ in range(200)]
    assert all(o.endswith("\nxyz") for o in out)  # line breaks kept, unseen letters kept
    first = [o.split("\n")[0] for o in out]
    assert sum(o.startswith("hé") for o in first) > 150
    assert sum(" hó " in o for o in first) > 150 and sum(o.endswith(" co") for o in first) > 150
    assert sum(" có" in o for o in first) < 40  # `o` after `c` stays, though `o` after `h` changes
    model.save(tmp_path / "m.json")
    again = ConfusionModel.load(tmp_path / "m.json")
    rng, rng_again = random.Random(5), random.Random(5)
    assert [apply(clean, rng, model) for _ in range(5)] == [apply(clean, rng_again, again) for _ in range(5)]
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="bad.json: not a confusion model"):
        ConfusionModel.load(tmp_path / "bad.json")


def test_severity_keeps_clean_paragraphs_clean():
    # Half the paragraphs are read perfectly, half lose every mark: the sampler should do both.
    pairs = [("Ket qua cong tac", "Kết quả công tác"), ("Kết quả công tác", "Kết quả công tác")] * 20
    model = ConfusionModel.fit(pairs)
    out = [apply("Kết quả công tác", random.Random(i), model) for i in range(200)]
    assert 60 < out.count("Kết quả công tác") < 140 and 60 < out.count("Ket qua cong tac") < 140
    report = compare([{"source": o, "target": c, "engine": "eng"} for o, c in pairs])
    assert report["eng"]["tesseract"]["error_free_blocks"] == 0.5
    assert report["eng"]["tesseract"]["marks_only"] == 1.0
    assert report["eng"]["tesseract"]["syllables_changed"] == 0.5
    assert "eng sampler" in format_report(report)


def test_cli_builds_with_two_workers_fits_and_reports(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(PARAGRAPHS * 3), encoding="utf-8")
    assert all(split_of(p, 5, 5) == "train" for p in PARAGRAPHS)
    style = ocr_pairs.page_style
    monkeypatch.setattr(ocr_pairs, "page_style", lambda rng: {**style(rng), "lines": 3, "scale": 0.9, "blur": 0.3})
    out = tmp_path / "pairs.jsonl"
    ocr_pairs.main(["build", "--corpus", str(corpus), "--lines", "6", "--engines", "eng,vie", "--workers", "2",
                    "-o", str(out), "--seed", "1"])
    assert "6 lines on 2 pages" in capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["engine"] for r in records} == {"eng", "vie"} and {r["page"] for r in records} == {0, 1}
    for r in records:
        assert r["source"].count("\n") == r["target"].count("\n") and r["split"] == "train"
        assert any(" ".join(r["target"].split("\n")) in p for p in PARAGRAPHS)
    ocr_pairs.main(["fit", str(out), "--engine", "vie", "-o", str(tmp_path / "vie.json")])
    assert ConfusionModel.load(tmp_path / "vie.json").chars
    ocr_pairs.main(["report", str(out)])
    assert "vie tesseract" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["build", "--corpus", "missing.txt", "-o", "x.jsonl"], "corpus missing.txt: no such file"),
    (["build", "--corpus", str(FIXTURE), "--engines", "xyz", "-o", "x.jsonl"], "no language data for xyz"),
    (["fit", str(FIXTURE), "--engine", "vie", "-o", "m.json"], "legal_sample.txt:1: not a pair record"),
])
def test_cli_errors_name_the_problem(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        ocr_pairs.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
