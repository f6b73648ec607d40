import json
import random

import pytest
from rapidfuzz.distance import Levenshtein

from tests.conftest import FIXTURE, tiny_config
from vidiac.infer.config import ConfigError
from vidiac.infer.correction import CHANNEL_NAME, Corrector
from vidiac.infer.lexicon import Lexicon
from vidiac.train import ocr_pairs
from vidiac.train.collate import DegradingCollator
from vidiac.train.confusion_model import (MARKS_BACKOFF, ConfusionModel, apply, channel, confidence_rates,
                                         emissions)
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


def test_emissions_take_a_vowel_and_what_its_marks_were_read_as_as_one_event():
    # Aligned on letters without marks: the hook of ư read as a letter rides on the u it is read with.
    assert emissions("thực", "thurc") == ["t", "h", "ur", "c"]
    assert emissions("người", "nguwéi") == ["n", "g", "uw", "é", "i"]
    assert emissions("những", "nhittng") == ["n", "h", "itt", "n", "g"]
    # A character added beside a marked vowel goes with it, whichever side it stands on.
    assert emissions("pháp", "phdap") == ["p", "h", "da", "p"]
    assert emissions("đồng", "d6éng") == ["d", "6é", "n", "g"]
    assert emissions("Số:", "S06:") == ["S", "06", ":"]
    assert emissions("hồ sơ", "hil sf)") == ["h", "il", " ", "s", "f)"]


def test_the_channel_weighs_a_space_read_as_a_symbol_against_the_spaces_kept():
    # Of 12 spaces 3 were read `.`: the corrector sets words apart at that rate (`Corrector.space`).
    model = ConfusionModel.fit([("bo.sung", "bổ sung")] * 3 + [("bo sung", "bổ sung")] * 9)
    assert channel([model])[" "] == {".": round(3 / 9, 6)}


def test_a_vowels_marks_printed_beside_it_are_read_so_for_its_other_marks_too():
    # `phdan` for phản, 3 times in 6: ả -> `da` at 1; nhận was never read so, yet may be, at MARKS_BACKOFF.
    model = ConfusionModel.fit([("phdan", "phản")] * 3 + [("phan", "phản")] * 3 + [("nhan", "nhận")] * 3)
    weights = channel([model])
    assert weights["ả"]["da"] == 1.0
    assert weights["ậ"]["da"] == MARKS_BACKOFF * 1.0 and weights["ặ"]["da"] == MARKS_BACKOFF * 1.0
    assert "da" not in weights.get("e", {}) and "da" not in weights.get("ế", {})  # another vowel: no


def test_the_engines_other_readings_are_calibrated_by_how_often_they_are_right():
    # Printed `cia` for của, with u weighed at 0.8 of the i: twice the other reading was right.
    # Printed `dan` for dân, with o weighed at 0.5 of the a: four times the printed letter was.
    cia = [("c", 0.999, {}), ("i", 0.6, {"i": 0.5, "u": 0.4, "?": 0.3}), ("a", 0.999, {})]
    dan = [("d", 0.999, {}), ("a", 0.7, {"a": 0.6, "o": 0.3}), ("n", 0.999, {})]
    records = [{"source": "cia", "target": "của", "chars": [[cia]]}] * 2 + [
        {"source": "dan", "target": "dân", "chars": [[dan]]}] * 4
    rates = confidence_rates(records)
    edges, odds = rates["alternatives"]["edges"], rates["alternatives"]["odds"]
    assert odds[edges.index(1.0)] == 1.0  # the other reading right, the printed one never: as likely, no likelier
    assert odds[edges.index(0.6)] == round((0 + 1) / (4 + 1), 6)
    assert rates["wrong"][rates["edges"].index(0.7)] == round((2 + 1) / (6 + 2), 6)  # of the doubted letters, the i


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


def _paragraph_in(split: str, cfg, lines: list[str]) -> list[str]:
    """`lines` under a heading that puts the paragraph in `split` (the split's key is the letters)."""
    tc = cfg.train
    for n in range(1000):
        candidate = [f"Mục {chr(97 + n % 26)}{chr(97 + n // 26)}. {lines[0]}", *lines[1:]]
        if split_of("\n".join(candidate), tc.dev_per_mille, tc.test_per_mille) == split:
            return candidate
    raise AssertionError(f"no {split} heading found")


def _pair_config(tmp_path, records, *overrides):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return tiny_config(tmp_path, "noise.ocr_pairs=1.0", f"noise.ocr_pairs_files=['{path}']", *overrides)


def test_training_pairs_are_runs_of_lines_inside_the_window_from_the_training_split(tmp_path):
    cfg = tiny_config(tmp_path)
    clean = _paragraph_in("train", cfg, ["Kết quả công tác tuyên truyền", "cải cách hành chính quý I năm 2024",
                                         "tổng hợp " * 10, "Đảng ủy xã Hòa Bình"])
    ocr = [clean[0].split(".")[0].replace("ụ", "u") + ". Két qua cong tac tuyén truyén",
           "cai cach hanh chinh quy I nim 2024", "tong hop " * 10, "Pang Uy x4 Hoa Binh"]
    cfg = _pair_config(tmp_path, [{"source": "\n".join(ocr), "target": "\n".join(clean), "engine": "eng"}],
                       "train.segment_max_bytes=64")
    segments = ocr_pairs.pair_segments(cfg)
    assert len(segments) > 1
    for source, target in segments:
        assert source.count("\n") == target.count("\n")
        assert len(source.encode()) <= 64 and len(target.encode()) <= 64
    # every line that fits, in order and paired with its own OCR line; the 90-byte line is left out
    assert [t for _, seg in segments for t in seg.split("\n")] == [clean[0], clean[1], clean[3]]
    assert [s for seg, _ in segments for s in seg.split("\n")] == [ocr[0], ocr[1], ocr[3]]

    dev = "\n".join(_paragraph_in("dev", cfg, ["Kết quả công tác"]))
    record = {"source": "Két qua cong tac", "target": dev, "engine": "eng"}
    cfg = _pair_config(tmp_path, [record, {"source": ocr[1], "target": clean[1], "engine": "eng"}])
    assert ocr_pairs.pair_segments(cfg) == [(ocr[1], clean[1])]  # the dev paragraph is left out
    cfg = _pair_config(tmp_path, [dict(record, split="dev")])
    with pytest.raises(ocr_pairs.PairsError, match=r"pairs.jsonl:1: built from the dev split.*--split train"):
        ocr_pairs.pair_segments(cfg)
    cfg = _pair_config(tmp_path, [{"source": "Két qua", "target": "\n".join(clean), "engine": "eng"}])
    with pytest.raises(ocr_pairs.PairsError, match="1 OCR lines for 4 printed lines"):
        ocr_pairs.pair_segments(cfg)


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_collator_swaps_its_share_of_segments_for_real_ocr_pairs(tmp_path, share):
    cfg = tiny_config(tmp_path)
    clean = _paragraph_in("train", cfg, ["Kết quả công tác tuyên truyền"])
    cfg = _pair_config(tmp_path, [{"source": "Muc. Két qua cong tac tuyén truyén", "target": "\n".join(clean),
                                   "engine": "eng"}], f"noise.ocr_pairs={share}")
    collator = DegradingCollator(cfg, seed=1)
    batch = collator([{"text": "Ủy ban nhân dân xã Hòa Bình"}] * 200)
    labels = [[t for t in row if t >= 0] for row in batch["labels"].tolist()]
    targets = collator.tokenizer.batch_decode(labels, skip_special_tokens=True)
    swapped = sum(t == "\n".join(clean) for t in targets) / len(targets)
    assert swapped == pytest.approx(share, abs=0.1)
    assert set(targets) <= {"\n".join(clean), "Ủy ban nhân dân xã Hòa Bình", "ỦY BAN NHÂN DÂN XÃ HÒA BÌNH"}


def test_ocr_pairs_without_files_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="noise.ocr_pairs: needs noise.ocr_pairs_files"):
        tiny_config(tmp_path, "noise.ocr_pairs=0.2")


def test_channel_command_writes_the_channel_a_model_directory_corrects_with(tmp_path, capsys):
    pairs = [("cia hgp", "của hợp"), ("cua hop", "của hợp"), ("Cia", "Của")] * 3
    ConfusionModel.fit(pairs).save(tmp_path / "eng.json")
    ocr_pairs.main(["channel", str(tmp_path / "eng.json"), "-o", str(tmp_path / CHANNEL_NAME)])
    channel = json.loads((tmp_path / CHANNEL_NAME).read_text(encoding="utf-8"))["misreadings"]
    assert channel["ủ"] == {"i": 2.0} and channel["ợ"] == {"g": 1.0}  # read as i 6 times (capitals too), kept as u 3
    lexicon = Lexicon({"cua": ["của"], "hop": ["hợp"]}, {"của": 3, "hợp": 2})
    assert Corrector.load(tmp_path, lexicon, 1.0, 0.9).candidates("cia")[0] == ("của",)
    with pytest.raises(SystemExit) as exit_:
        ocr_pairs.main(["channel", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.json")])
    assert exit_.value.code == 2 and "missing.json: no such confusion model" in capsys.readouterr().err
