import random

import pytest

from vidiac.infer.config import NoiseConfig
from vidiac.infer.vietnamese import BASE, strip_diacritics
from vidiac.train.noise import DEGRADATIONS, Degrader, strip_all, strip_some, upper_lines, wrap

CLEAN = ("Kết quả công tác tuyên truyền cải cách hành chính quý I năm 2024\n"
         "Đảng ủy xã Hòa Bình, UBND huyện; 3 tiếng/ngày, phiên bản 4.0")


@pytest.mark.parametrize("name", sorted(DEGRADATIONS))
def test_each_degradation_is_seeded_and_keeps_layout_case_and_plain_letters(name):
    cfg = NoiseConfig(strip_some_rate=0.5)
    out = DEGRADATIONS[name](CLEAN, random.Random(7), cfg)
    assert out == DEGRADATIONS[name](CLEAN, random.Random(7), cfg)
    assert len(out) == len(CLEAN) and out.split("\n")[0].count(" ") == CLEAN.split("\n")[0].count(" ")
    for a, b in zip(CLEAN, out):
        assert a.isupper() == b.isupper()
        if a != b:  # only marked letters change, and only towards fewer marks
            assert a in BASE or a in "đĐ"
            assert strip_diacritics(a) == strip_diacritics(b)


def test_strip_all_leaves_no_mark():
    assert strip_all(CLEAN, random.Random(0), NoiseConfig()) == strip_diacritics(CLEAN)


def test_strip_some_strips_about_its_rate():
    text = "ế" * 2000
    out = strip_some(text, random.Random(0), NoiseConfig(strip_some_rate=0.3))
    changed = sum(c != "ế" for c in out)
    assert 450 < changed < 750
    assert set(out) <= {"ế", "ê", "e"}


def test_upper_lines_uppercases_whole_lines_only():
    out = upper_lines(CLEAN, random.Random(0), NoiseConfig(upper_line=1.0))
    assert out == CLEAN.upper()
    assert upper_lines(CLEAN, random.Random(0), NoiseConfig(upper_line=0.0)) == CLEAN


def test_wrap_only_turns_spaces_into_line_breaks():
    text = " ".join(["chính"] * 200)
    out = wrap(text, random.Random(3), NoiseConfig(wrap=1.0))
    assert out.replace("\n", " ") == text
    assert all(len(line) <= 100 for line in out.split("\n"))
    assert wrap(text, random.Random(3), NoiseConfig(wrap=0.0)) == text


def test_degrader_pairs_share_layout_and_follow_the_weights():
    degrade = Degrader(NoiseConfig(strip_all=1.0, strip_some=0.0, upper_line=0.5, wrap=1.0))
    source, target = degrade(CLEAN, random.Random(1))
    assert source == strip_diacritics(target)
    assert target.replace("\n", " ").lower() == CLEAN.replace("\n", " ").lower()
    with pytest.raises(ValueError, match="positive weight"):
        Degrader(NoiseConfig(strip_all=0.0, strip_some=0.0))
