import random
import re
from pathlib import Path

import pytest

from vidiac.infer.config import ConfigError, NoiseConfig, from_dict, load_config
from vidiac.infer.confusions import LATIN_OCR, STRAY_SYMBOLS, VIETNAMESE_OCR
from vidiac.infer.vietnamese import BASE, strip_diacritics
from vidiac.train.confusion_model import ConfusionModel
from vidiac.train.noise import (DEGRADATIONS, OCR_EXTRAS, Degrader, fitted_ocr, insert_delete, latin_ocr, strip_all,
                                strip_some, stray_symbols, upper_lines, vietnamese_ocr, wrap)

CLEAN = ("Kết quả công tác tuyên truyền cải cách hành chính quý I năm 2024\n"
         "Đảng ủy xã Hòa Bình, UBND huyện; 3 tiếng/ngày, phiên bản 4.0")
# Every letter with a known misreading, digits-only tokens, a URL and an e-mail address.
OCR_TEXT = ("Kết quả công tác năm 2024 là đồng bộ, ứng dụng điện tử trung ương; Đảng ủy xã, Đề xuất, "
            "ấn phẩm báo cáo tập trung 15/8/2024 4.0\nXem https://dichvucong.gov.vn hoặc vanthu@hanoi.gov.vn")
PROTECTED = ["2024", "15/8/2024", "4.0", "https://dichvucong.gov.vn", "vanthu@hanoi.gov.vn"]
TRANSFORMS = [*DEGRADATIONS.values(), *OCR_EXTRAS.values()]
BUSY = NoiseConfig(strip_some_rate=0.5, latin_ocr_rate=0.5, vietnamese_ocr_rate=0.3, insert_delete_rate=0.1,
                   stray_symbols_rate=0.5)


def words_per_line(text: str) -> list[int]:
    return [len(line.split()) for line in text.split("\n")]


@pytest.mark.parametrize("name", ["strip_all", "strip_some"])
def test_each_strip_is_seeded_and_keeps_layout_case_and_plain_letters(name):
    cfg = NoiseConfig(strip_some_rate=0.5)
    out = DEGRADATIONS[name](CLEAN, random.Random(7), cfg)
    assert out == DEGRADATIONS[name](CLEAN, random.Random(7), cfg)
    assert len(out) == len(CLEAN) and out.split("\n")[0].count(" ") == CLEAN.split("\n")[0].count(" ")
    for a, b in zip(CLEAN, out):
        assert a.isupper() == b.isupper()
        if a != b:  # only marked letters change, and only towards fewer marks
            assert a in BASE or a in "đĐ"
            assert strip_diacritics(a) == strip_diacritics(b)


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda f: f.__name__)
def test_every_transform_is_seeded_keeps_words_lines_digits_and_urls(transform):
    for seed in range(50):
        out = transform(OCR_TEXT, random.Random(seed), BUSY)
        assert out == transform(OCR_TEXT, random.Random(seed), BUSY)
        assert words_per_line(out) == words_per_line(OCR_TEXT)
        assert re.findall(r"\s+", out) == re.findall(r"\s+", OCR_TEXT)
        words = out.split()
        for i, w in enumerate(OCR_TEXT.split()):
            if w in PROTECTED:
                assert words[i] == w
            if any(c.isalpha() for c in w):  # nothing is read as digits alone
                assert any(c.isalpha() for c in words[i])


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda f: f.__name__)
def test_every_transform_changes_something(transform):
    assert transform(OCR_TEXT, random.Random(0), BUSY) != OCR_TEXT


def test_strip_all_leaves_no_mark():
    assert strip_all(CLEAN, random.Random(0), NoiseConfig()) == strip_diacritics(CLEAN)


def test_strip_some_strips_about_its_rate():
    text = "ế" * 2000
    out = strip_some(text, random.Random(0), NoiseConfig(strip_some_rate=0.3))
    changed = sum(c != "ế" for c in out)
    assert 450 < changed < 750
    assert set(out) <= {"ế", "ê", "e"}


def test_latin_ocr_without_misreadings_only_strips():
    assert latin_ocr(OCR_TEXT, random.Random(0), NoiseConfig(latin_ocr_rate=0.0)) == strip_diacritics(OCR_TEXT)


def test_latin_ocr_reads_the_real_examples():
    seen = {"Kết": {"Két"}, "tuyền": {"tuyén"}, "cáo": {"céo"}, "có": {"c6"}, "số": {"s6"}, "đổi": {"d6i"},
            "là": {"1a"}, "lý": {"1y"}, "Đảng": {"Pang"}, "Đề": {"Pé"}, "ứng": {"tmg"}, "năm": {"n4m", "nim"},
            "xã": {"x4", "xi"}, "ương": {"wong", "uong"}, "tử": {"tir", "ttr"}}
    cfg = NoiseConfig(latin_ocr_rate=1.0)
    assert {w: {latin_ocr(w, random.Random(s), cfg) for s in range(40)} for w in seen} == seen


def test_latin_ocr_keeps_case_and_never_reads_a_word_as_digits():
    cfg = NoiseConfig(latin_ocr_rate=1.0)
    assert latin_ocr("ĐỀ XUẤT TRUNG ƯƠNG", random.Random(0), cfg) in {"PÉ XUAT TRUNG WONG", "PÉ XUAT TRUNG UONG"}
    assert latin_ocr("ô lô", random.Random(0), cfg) == "o lo"  # not `6 16`


def test_latin_ocr_misreads_about_its_rate():
    text = " ".join(["có"] * 2000)
    out = latin_ocr(text, random.Random(0), NoiseConfig(latin_ocr_rate=0.3)).split()
    assert set(out) == {"c6", "co"}
    assert 500 < out.count("c6") < 700


def test_confusion_table_is_clean_text_to_readings():
    for clean, readings in {**LATIN_OCR, **VIETNAMESE_OCR}.items():
        assert clean and all(c.isalpha() for c in clean)
        assert readings and all(r and r != clean for r in readings)
    assert not any(c.isalnum() or c.isspace() for c in STRAY_SYMBOLS)


def test_vietnamese_ocr_keeps_the_letters_and_changes_marks_at_its_rate():
    text = " ".join(["hành vi vi phạm của đơn vị"] * 300)
    out = vietnamese_ocr(text, random.Random(0), NoiseConfig(vietnamese_ocr_rate=0.1))
    assert len(out) == len(text) and strip_diacritics(out) == strip_diacritics(text)
    vowels_and_d = sum(c in BASE or c in "dđ" for c in text)
    changed = sum(a != b for a, b in zip(text, out))
    assert 0.08 * vowels_and_d < changed < 0.12 * vowels_and_d
    for a, b in zip(text, out):
        if a != b and a in BASE:  # a wrong tone, or a wrong hat or horn with the same tone
            (base_a, tone_a), (base_b, tone_b) = BASE[a], BASE[b]
            assert (base_a == base_b) != (tone_a == tone_b)


def test_vietnamese_ocr_misreads_known_letter_groups():
    reads = [vietnamese_ocr("Tập trung", random.Random(s), NoiseConfig(vietnamese_ocr_rate=0.5)) for s in range(200)]
    assert any(r.endswith(" ưung") for r in reads)


def test_insert_delete_drops_and_inserts_letters_at_its_rate():
    text = " ".join(["truc tuyen dong bo"] * 200)
    letters = sum(c.isalpha() for c in text)
    out = insert_delete(text, random.Random(0), NoiseConfig(insert_delete_rate=0.05))
    assert words_per_line(out) == words_per_line(text)
    assert 0.85 * letters < sum(c.isalpha() for c in out) < 1.15 * letters
    pairs = list(zip(text.split(), out.split()))
    longer, shorter = sum(len(b) > len(a) for a, b in pairs), sum(len(b) < len(a) for a, b in pairs)
    assert longer > 50 and shorter > 50  # 4-letter words: about 4 * 0.05 of each
    assert insert_delete("b", random.Random(0), NoiseConfig(insert_delete_rate=1.0)).startswith("b")
    assert insert_delete("UBND", random.Random(0), NoiseConfig(insert_delete_rate=1.0)).isupper()


def test_stray_symbols_go_between_two_letters_of_a_word():
    text = " ".join(["thực hiện, bình đẳng"] * 300)
    out = stray_symbols(text, random.Random(0), NoiseConfig(stray_symbols_rate=0.2))
    assert "".join(c for c in out if c not in STRAY_SYMBOLS) == text
    assert not re.search(rf"(^|[^\w])[{STRAY_SYMBOLS}]|[{STRAY_SYMBOLS}]($|[^\w])", out)
    assert 0.15 * 1200 < sum(c in STRAY_SYMBOLS for c in out) < 0.25 * 1200


def test_upper_lines_uppercases_whole_lines_only():
    out = upper_lines(CLEAN, random.Random(0), NoiseConfig(upper_line=1.0))
    assert out == CLEAN.upper()
    assert upper_lines(CLEAN, random.Random(0), NoiseConfig(upper_line=0.0)) == CLEAN


def test_wrap_only_turns_spaces_into_line_breaks():
    text = " ".join(["chính"] * 200)
    out = wrap(text, random.Random(3), NoiseConfig(wrap=1.0, hyphenate=0.0))
    assert out.replace("\n", " ") == text
    assert all(len(line) <= 100 for line in out.split("\n"))
    assert wrap(text, random.Random(3), NoiseConfig(wrap=0.0)) == text


def test_wrap_hyphenates_words_that_do_not_fit():
    rng = random.Random(0)
    text = " ".join(rng.choice(["chuyển", "đổi", "số", "nghiêng", "hành", "chính"]) for _ in range(300))
    breaks = hyphens = 0
    for seed in range(10):
        out = wrap(text, random.Random(seed), NoiseConfig(wrap=1.0, hyphenate=1.0))
        lines = out.split("\n")
        assert all(len(line) <= 100 for line in lines)
        assert re.sub(r"-\n", "", out).replace("\n", " ") == text
        assert all(len(head) >= 2 and len(tail) >= 2 for head, tail in re.findall(r"(\w+)-\n(\w+)", out))
        breaks, hyphens = breaks + len(lines) - 1, hyphens + out.count("-\n")
    assert hyphens > breaks // 5  # only where a word of 4+ letters overflows with room for 2 of them
    assert "-" not in wrap(text, random.Random(0), NoiseConfig(wrap=1.0, hyphenate=0.0))


def test_degrader_pairs_share_layout_and_follow_the_weights():
    only_strip_all = dict(strip_all=1.0, strip_some=0.0, latin_ocr=0.0, vietnamese_ocr=0.0)
    degrade = Degrader(NoiseConfig(**only_strip_all, upper_line=0.5, wrap=1.0, hyphenate=0.0))
    source, target = degrade(CLEAN, random.Random(1))
    assert source == strip_diacritics(target)
    assert target.replace("\n", " ").lower() == CLEAN.replace("\n", " ").lower()
    with pytest.raises(ValueError, match="positive weight"):
        Degrader(NoiseConfig(strip_all=0.0, strip_some=0.0, latin_ocr=0.0, vietnamese_ocr=0.0))


def test_degrader_adds_ocr_artefacts_to_ocr_sources_only():
    cfg = dict(insert_delete=1.0, insert_delete_rate=0.1, stray_symbols=1.0, stray_symbols_rate=0.5, wrap=0.0,
               upper_line=0.0)
    typed = Degrader(NoiseConfig(strip_all=1.0, strip_some=0.0, latin_ocr=0.0, vietnamese_ocr=0.0, **cfg))
    assert typed(OCR_TEXT, random.Random(0)) == (strip_diacritics(OCR_TEXT), OCR_TEXT)
    ocr = Degrader(NoiseConfig(strip_all=0.0, strip_some=0.0, latin_ocr=1.0, vietnamese_ocr=0.0, **cfg))
    source, target = ocr(OCR_TEXT, random.Random(0))
    assert target == OCR_TEXT and any(c in STRAY_SYMBOLS for c in source)
    assert words_per_line(source) == words_per_line(target)


def test_degrader_mix_follows_the_weights():
    degrade = Degrader(NoiseConfig(strip_all=3.0, strip_some=0.0, latin_ocr=1.0, vietnamese_ocr=0.0, wrap=0.0,
                                   upper_line=0.0, latin_ocr_rate=1.0, insert_delete=0.0, stray_symbols=0.0))
    rng = random.Random(0)
    reads = [degrade("ê", rng)[0] for _ in range(2000)]  # strip_all reads e, latin_ocr here é
    assert set(reads) == {"e", "é"} and 400 < reads.count("é") < 600


def test_default_mix_keeps_words_lines_digits_and_urls():
    degrade, rng = Degrader(NoiseConfig()), random.Random(0)
    for _ in range(300):
        source, target = degrade(OCR_TEXT, rng)
        assert words_per_line(source) == words_per_line(target)
        assert re.sub(r"-\n", "", target).lower().split() == OCR_TEXT.lower().split()
        for w in PROTECTED:
            assert w in source.split() or w.upper() in source.split()


def test_degradations_match_the_config_weights():
    assert {*DEGRADATIONS, "fitted_ocr"} == set(NoiseConfig.WEIGHTS)
    assert set(OCR_EXTRAS) <= {f for f in NoiseConfig.__dataclass_fields__}


@pytest.mark.parametrize("key, value, message", [
    ("latin_ocr_rate", 1.5, r"noise\.latin_ocr_rate: expected a value between 0 and 1, got 1\.5"),
    ("strip_all", -1, r"noise\.strip_all: expected a weight of 0 or more, got -1"),
    ("hyphenate", -0.1, r"noise\.hyphenate: expected a value between 0 and 1"),
])
def test_out_of_range_noise_values_are_named(key, value, message):
    with pytest.raises(ConfigError, match=message):
        from_dict({"noise": {key: value}})


TESSERACT_ENG = Path(__file__).parents[2] / "configs" / "ocr" / "tesseract-eng.json"


def test_fitted_ocr_is_seeded_and_keeps_spaces_lines_digits_and_urls():
    model = ConfusionModel.load(TESSERACT_ENG)
    outs = [fitted_ocr(OCR_TEXT, random.Random(seed), model) for seed in range(50)]
    assert outs == [fitted_ocr(OCR_TEXT, random.Random(seed), model) for seed in range(50)]
    assert sum(out != OCR_TEXT for out in outs) > 25
    for out in outs:
        assert re.findall(r"\s+", out) == re.findall(r"\s+", OCR_TEXT)
        words = out.split()
        for i, w in enumerate(OCR_TEXT.split()):
            if w in PROTECTED:
                assert words[i] == w
    # Tesseract eng's habits show up: marks lost, and ê read as é
    assert sum("Két" in out for out in outs) > 5 and sum("cong" in out for out in outs) > 25


def test_degrader_draws_fitted_ocr_from_the_configured_models(tmp_path):
    cfg = dict(strip_all=1.0, strip_some=0.0, latin_ocr=0.0, vietnamese_ocr=0.0, fitted_ocr=1.0, wrap=0.0,
               upper_line=0.0)
    with pytest.raises(ConfigError, match="noise.fitted_ocr: needs noise.fitted_ocr_models"):
        NoiseConfig(**cfg)
    # One model reads every `a` as `4`, the other every `a` as `@`; the stripped half keeps `a`.
    for name, reading in [("four", "4"), ("at", "@")]:
        ConfusionModel.fit([("b" + reading * 3, "baaa")] * 5).save(tmp_path / f"{name}.json")
    degrade = Degrader(NoiseConfig(**cfg, fitted_ocr_models=[str(tmp_path / "four.json"), str(tmp_path / "at.json")]))
    rng = random.Random(0)
    sources = [degrade("ba ba", rng)[0] for _ in range(600)]
    assert set(sources) == {"ba ba", "b4 b4", "b@ b@"}
    assert all(120 < sources.count(s) < 180 for s in ("b4 b4", "b@ b@"))
    with pytest.raises(ValueError, match="missing.json: no such confusion model"):
        Degrader(NoiseConfig(**cfg, fitted_ocr_models=[str(tmp_path / "missing.json")]))


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[2] / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_config_builds_its_degrader_from_the_repository_root(path, monkeypatch):
    monkeypatch.chdir(path.parents[1])  # where scripts/train_gpu.sh runs
    Degrader(load_config(path).noise)
