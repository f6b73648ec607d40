"""benchmarks/run.py end to end on a few fixture lines with the tiny model, and its input checks."""
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vidiac.infer import load_config
from vidiac.infer.vietnamese import strip_diacritics
from vidiac.train.corpus import split_of
from vidiac.train.metrics import word_accuracy

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "legal_sample.txt"
SYSTEMS = ("vidiac", "identity", "most-frequent form", "syllable trigram", "pyvi")


def _sets_module():
    spec = importlib.util.spec_from_file_location("benchmark_sets", ROOT / "benchmarks" / "sets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_corpus(tmp_path: Path) -> Path:
    """The fixture's first 23 lines: 3 in the tiny model's test split, 20 to build baselines from."""
    path = tmp_path / "legal.txt"
    path.write_text("\n".join(FIXTURE.read_text(encoding="utf-8").splitlines()[:23]) + "\n", encoding="utf-8")
    return path


def run_benchmark(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), *args],
                          cwd=ROOT, capture_output=True, text=True)


def row(results: str, section: str, system: str) -> list[str]:
    body = results.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    line = next(x for x in body.splitlines() if x.startswith(f"| {system}"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_benchmark_writes_every_set_system_and_measure(tiny_model, tmp_path):
    corpus = small_corpus(tmp_path)
    tc = load_config(tiny_model).train
    lines = corpus.read_text(encoding="utf-8").splitlines()
    held_out = [x for x in lines if split_of(x, tc.dev_per_mille, tc.test_per_mille) == "test"]
    trained = next(x for x in lines if split_of(x, tc.dev_per_mille, tc.test_per_mille) == "train")
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"source": strip_diacritics(t), "target": t, "engine": "eng"}) + "\n"
                             for t in [*held_out, trained]), encoding="utf-8")
    ladder = tmp_path / "ladder.jsonl"
    ladder.write_text("".join(json.dumps({"source": source, "target": "\n".join(held_out), "engine": engine,
                                          "level": level, "level_name": name, "split": "test"}) + "\n"
                              for level, name, engine, source in [
                                  (1, "clean", "vie", "\n".join(held_out)),
                                  (2, "fax", "eng", strip_diacritics("\n".join(held_out)))]), encoding="utf-8")
    out = tmp_path / "RESULTS.md"
    done = run_benchmark("--model", str(tiny_model), "--legal", str(corpus), "--news", str(corpus),
                         "--ocr-pairs", str(pairs), "--ladder", str(ladder),
                         "--docs", "2", "--page-bytes", "200", "--threads", "2",
                         "--cache", str(tmp_path / "cache"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    results = out.read_text(encoding="utf-8")
    assert results.startswith("# Benchmark results\n\nWritten by `python benchmarks/run.py --model")

    cached = next((tmp_path / "cache").glob("legal-test-*.jsonl"))
    docs = [json.loads(x) for x in cached.read_text(encoding="utf-8").splitlines()]
    assert docs and "\n".join(docs).split("\n") == held_out
    for section in ("legal, stripped", "news, stripped", "legal, partly stripped",
                    "legal, synthetic OCR (eng)", "legal, synthetic OCR (vie)", "Tesseract eng OCR"):
        cells = {system: row(results, section, system) for system in SYSTEMS}
        assert all(len(c) == 9 for c in cells.values())
    # Identity scores what the input itself scores; pyvi and the trigram restore something.
    stripped = float(row(results, "legal, stripped", "identity")[1])
    assert stripped == pytest.approx(word_accuracy([strip_diacritics(d) for d in docs], docs), abs=1e-4)
    assert float(row(results, "legal, stripped", "pyvi")[1]) > stripped
    assert float(row(results, "Tesseract eng OCR", "identity")[1]) == pytest.approx(
        word_accuracy([strip_diacritics(t) for t in held_out], held_out), abs=1e-4)
    assert f"1 of {len(held_out) + 1} records of {pairs} left out" in results
    assert re.search(r"- Tesseract vie OCR: .* has no record with engine 'vie'", results)
    # No held-out line names local government: the reports' set is listed as skipped, and scored nowhere.
    assert "- reports, stripped: no document of reports in the split" in results
    assert "of reports occur there" not in results

    # The ladder: a row per level and engine; a page read right scores 1 as it stands.
    ladder_rows = results.split("\n## Scan-quality ladder\n", 1)[1].split("\n## ", 1)[0].splitlines()
    clean, fax = (row("\n## s\n" + "\n".join(ladder_rows), "s", level) for level in ("1: clean", "2: fax"))
    assert clean[1] == "vie" and float(clean[2]) == 0.0 and float(clean[3]) == 1.0  # input CER 0, identity 1
    assert fax[1] == "eng" and float(fax[2]) > 0.0 and len(fax) == len(clean) == 3 + len(SYSTEMS) + 2
    assert (re.fullmatch(r"[\d,]+ of [\d,]+", clean[-1])
            and clean[-1].endswith(f" of {sum(map(len, map(str.split, held_out))):,}"))
    assert "## ladder" not in results  # no section per ladder set: the table is the ladder's report

    speed = results.split("## Speed and memory", 1)[1]
    assert re.search(r"\n\| vidiac \(tiny_model\w*\), 2 worker processes \| [\d,]+ \|", speed)
    for system in SYSTEMS:
        chars_per_s, ratio, page_s = row("\n## s\n" + speed, "s", system)[1:4]
        assert float(chars_per_s.replace(",", "")) > 0 and float(page_s) >= 0
    serving = results.split("\n## Serving and archives\n", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"\n\| vidiac-serve, 8 clients \| [\d,]+ \| [\d.]+ \| [\d.]+ \|", serving)
    assert re.search(r"\n\| --ray --jobs 2 \| [\d.]+ \| [\d,]+ \|", serving) and "Same bytes written: yes" in serving
    generate = results.split("\n## The model through generate\n", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"\n\| generate \| legal, stripped \| news, stripped \| legal sentences, stripped \| "
                     r"news sentences, stripped \| chars/s \|", generate)
    assert re.search(r"\n\| constrained( \| [\d.]+){4} \| [\d,]+ \|", generate)
    # The report holds scores, never the documents' text (the news corpus is not ours to publish).
    assert not any(line in results for line in held_out)


def test_benchmark_reports_a_missing_corpus_without_a_traceback(tiny_model, tmp_path):
    done = run_benchmark("--model", str(tiny_model), "--legal", str(tmp_path / "nope.txt"),
                         "--out", str(tmp_path / "R.md"), "--cache", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: corpus {tmp_path / 'nope.txt'}: no such file"
    assert not (tmp_path / "R.md").exists()


@pytest.mark.parametrize("line, message", [
    ("{not json", "pairs.jsonl:2: not JSON"),
    ('{"source": "a", "target": "b"}',
     "pairs.jsonl:2: expected an object with string fields source, target and engine"),
])
def test_malformed_ocr_pairs_name_file_and_line(tmp_path, line, message):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"source": "a", "target": "b", "engine": "eng"}\n' + line + "\n", encoding="utf-8")
    sets = _sets_module()
    with pytest.raises(sets.BenchmarkError, match=re.escape(message)):
        sets.tesseract_sets(str(pairs), load_config(ROOT / "configs" / "tiny.yaml"))


def test_without_ocr_pairs_the_tesseract_sets_are_listed_as_skipped():
    sets = _sets_module().tesseract_sets(None, load_config(ROOT / "configs" / "tiny.yaml"))
    assert [(s.name, s.sources) for s in sets] == [("Tesseract eng OCR", []), ("Tesseract vie OCR", [])]
    assert all("--ocr-pairs" in s.note for s in sets)


def test_a_degradation_noise_py_lacks_skips_its_set_with_a_note(monkeypatch):
    sets = _sets_module()
    monkeypatch.setattr(sets, "SYNTHETIC", [("legal, stripped", "legal", "strip_all"), ("later", "legal", "not_yet")])
    monkeypatch.setattr(sets, "SENTENCE_SETS", [("legal sentences, stripped", "legal")])
    built = sets.synthetic_sets({"legal": ["Đảng ủy xã Hòa Bình. Điều 5 quy định rõ.\nHọp ngày 5."]})
    assert built[0].sources == ["Dang uy xa Hoa Binh. Dieu 5 quy dinh ro.\nHop ngay 5."]
    assert built[1].sources == [] and "no degradation 'not_yet'" in built[1].note
    # Single sentences of three words or more, one a document.
    assert built[2].sources == ["Dang uy xa Hoa Binh.", "Dieu 5 quy dinh ro.", "Hop ngay 5."]
    assert built[2].targets == ["Đảng ủy xã Hòa Bình.", "Điều 5 quy định rõ.", "Họp ngày 5."]


def test_the_reports_set_holds_the_splits_paragraphs_that_name_local_government_and_its_papers(tmp_path):
    sets = _sets_module()
    cfg = load_config(ROOT / "configs" / "tiny.yaml")
    tc = cfg.train
    register = ["BÁO CÁO kết quả công tác", "UBND xã Ba Bích", "Ủy ban nhân dân tỉnh", "Uỷ ban nhân dân huyện",
                "Nghị quyết của HĐND huyện", "Hội đồng nhân dân cấp xã"]
    other = ["Cộng hòa xã hội chủ nghĩa", "Giá vàng tăng mạnh", "UBNDxã"]
    # A made-up word per line, since the split's hash reads letters only.
    lines = [f"{p} số " + "".join("bcdghklmnpqrstvx"[(n >> (4 * k)) % 16] + "aeiou"[k] for k in range(3))
             for n in range(1000) for p in register + other]
    corpus = tmp_path / "legal.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs = sets.documents({"legal": str(corpus)}, 1000, cfg, tmp_path / "cache")
    held_out = [x for x in lines if split_of(x, tc.dev_per_mille, tc.test_per_mille) == "test"]
    assert "\n".join(docs["legal"]).split("\n") == held_out
    kept = "\n".join(docs["reports"]).split("\n")
    assert kept == [x for x in held_out if x.rsplit(" số ", 1)[0] in register]
    assert {x.rsplit(" số ", 1)[0] for x in kept} == set(register)  # every way of naming them, and only those


def test_tesseract_sets_keep_the_records_of_the_asked_split(tmp_path):
    cfg = load_config(ROOT / "configs" / "tiny.yaml")
    by_split = {}
    for n in range(2000):
        text = f"Mục {chr(97 + n % 26)}{chr(97 + n // 26 % 26)} kết quả công tác"
        by_split.setdefault(split_of(text, cfg.train.dev_per_mille, cfg.train.test_per_mille), text)
    records = [{"source": strip_diacritics(t), "target": t, "engine": "vie"} for t in by_split.values()]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    for split in ("dev", "test"):
        vie = {s.name: s for s in _sets_module().tesseract_sets(str(path), cfg, split=split)}["Tesseract vie OCR"]
        assert vie.targets == [by_split[split]] and f"not in the model's {split} split" in vie.note


def test_ladder_pages_of_another_split_are_an_error(tmp_path):
    path = tmp_path / "ladder.jsonl"
    path.write_text(json.dumps({"source": "a", "target": "b", "engine": "vie", "level": 1, "level_name": "clean",
                                "split": "train"}) + "\n", encoding="utf-8")
    sets = _sets_module()
    with pytest.raises(sets.BenchmarkError, match="ladder.jsonl:1: a page of the train split, not test"):
        sets.ladder_sets(str(path))
    path.write_text('{"source": "a"}\n', encoding="utf-8")
    with pytest.raises(sets.BenchmarkError, match="ladder.jsonl:1: not a record of vidiac-ladder build"):
        sets.ladder_sets(str(path))


def test_the_trigram_baseline_is_kneser_ney_and_sums_to_one_in_every_context():
    spec = importlib.util.spec_from_file_location("benchmark_baselines", ROOT / "benchmarks" / "baselines.py")
    baselines = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(baselines)
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()[:40]
    trigram = baselines.Trigram(lines)
    vocab = list(trigram.counts) + ["token never seen"]
    for context in [(baselines.BOS, baselines.BOS), ("điều", "1"), ("của", "cơ"), ("never", "seen"), ("never", "quy")]:
        assert sum(trigram.prob(*context, c) for c in vocab) == pytest.approx(1.0), context
    # the text it was counted from, restored from stripped
    assert word_accuracy([trigram.restore(strip_diacritics(x)) for x in lines], lines) > 0.95
