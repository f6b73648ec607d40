"""Faithfulness, property-tested with hypothesis: documents of Vietnamese and stripped words,
numbers, codes, URLs, separators, symbol-only lines, tabs, CRLF, zero-width and combining
characters, emoji and long lines, through the API and the CLI, with the shipped model."""
import contextlib
import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from vidiac.infer.cli import main
from vidiac.infer.restorer import DEFAULT_MODEL, Restorer
from vidiac.infer.vietnamese import normalize, strip_diacritics

WORDS = ["Ủy", "ban", "nhân", "dân", "xã", "Hòa", "Bình", "quyết", "định", "của", "là", "Đảng", "thủy", "hoà",
         "ngoài", "Nghị", "nghiêng", "ĐIỀU", "KHOẢN", "năm"]
TOKENS = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(WORDS).map(strip_diacritics),
    st.integers(0, 10 ** 9).map(str), st.sampled_from(["UBND", "TTHC", "12/2024/NĐ-CP", "4.0", "K.45", "1a", "x4"]),
    st.sampled_from(["https://dichvucong.gov.vn/p/home", "vanthu@hoabinh.gov.vn"]),
    st.sampled_from(["***", "-----", "o0o", "---oOo---", "@@@", "(1)", "–", "…", "“", "”", ",", ";"]),
    st.sampled_from(["\u200b", "e\u0301", "a\u0300\u0323", "😀", "👍🏽", "\u00a0", "\ufeff"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=6),
)
SPACES = st.sampled_from([" ", "  ", "\t", " \t "])
LINE = st.lists(st.tuples(TOKENS, SPACES), max_size=12).map(lambda ts: "".join(t + s for t, s in ts).rstrip(" \t"))
# Longer than the model's window.
LONG_LINE = st.lists(st.sampled_from(WORDS).map(strip_diacritics), min_size=80, max_size=160).map(" ".join)
SYMBOLS = st.text(st.characters(categories=("P", "S", "N", "Zs")), min_size=1, max_size=20)
DOCUMENT = st.tuples(st.lists(st.one_of(LINE, LINE, LINE, SYMBOLS, LONG_LINE), min_size=1, max_size=8),
                     st.sampled_from(["\n", "\r\n"])).map(lambda d: d[1].join(d[0]))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def restorer():
    return Restorer.from_pretrained(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def marks_only():
    return Restorer.from_pretrained(DEFAULT_MODEL, ocr_severity=0.0)  # --keep-letters


def skeleton(line: str) -> str:
    """What restoring never changes in a line where no letter is corrected: all but the letters."""
    return re.sub(r"[^\W\d_]", "", line)


@SETTINGS
@given(DOCUMENT)
def test_lines_and_letterless_lines_are_kept(restorer, text):
    source = normalize(text)
    out = restorer.restore(text)
    assert out.count("\n") == source.count("\n")
    for before, after in zip(source.split("\n"), out.split("\n")):
        if not any(c.isalpha() for c in before):
            assert after == before
        assert len(after.split()) == len(before.split())


@SETTINGS
@given(DOCUMENT)
def test_skeleton_mode_changes_only_marks(marks_only, text):
    source = normalize(text)
    out = marks_only.restore(text, constraint="skeleton")
    assert strip_diacritics(out) == strip_diacritics(source)
    assert [skeleton(line) for line in out.split("\n")] == [skeleton(line) for line in source.split("\n")]


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_is_restored_without_an_error(restorer, text):
    out, words = restorer.review([text])[0]
    assert out.count("\n") == normalize(text).count("\n") and len(words) == len(normalize(text).split())


@settings(max_examples=3, deadline=None)
@given(st.lists(st.binary(max_size=200), min_size=5, max_size=15))
def test_random_bytes_on_the_cli_never_give_a_traceback(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for i, data in enumerate(files):
            (folder / f"{i}.txt").write_bytes(data)
        errors = io.StringIO()
        with contextlib.redirect_stderr(errors):
            code = main(["-m", str(DEFAULT_MODEL), str(folder), "-o", str(Path(tmp) / "out")])
        for i in range(len(files)):  # each file restored, or named in one line that says why not
            written = (Path(tmp) / "out" / "in" / f"{i}.txt").exists()
            assert written or f"in/{i}.txt: not valid utf-8" in errors.getvalue()
        assert code in (0, 2) and "Traceback" not in errors.getvalue()
