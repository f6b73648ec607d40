import io
import sys
import unicodedata
from pathlib import Path

import pytest

from vidiac.infer.cli import main
from vidiac.infer.legacy import ENCODINGS, detect, to_unicode
from vidiac.infer.vietnamese import VIETNAMESE_LETTERS, strip_diacritics

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MOTTO = "Cộng hoà xã hội chủ nghĩa Việt Nam"
MOTTO_TCVN3 = "Céng hoµ x· héi chñ nghÜa ViÖt Nam"


def published() -> dict[str, dict[str, str]]:
    """encoding -> {Unicode letter: legacy spelling}, from the published tables in the fixture."""
    tables = {}
    for line in (FIXTURES / "legacy_tables.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            encoding, legacy, letter = line.split("\t")[:3]
            tables.setdefault(encoding, {})[chr(int(letter, 16))] = "".join(chr(int(h, 16)) for h in legacy.split())
    return tables


TABLES = published()


def encode(text: str, encoding: str) -> str:
    """Unicode -> legacy with the published table; VIQR escapes marks that follow a letter (RFC 1456)."""
    table = TABLES[encoding]
    out = []
    for i, ch in enumerate(text):
        escape = encoding == "viqr" and ch in "'`?~.^(+\\" and i and text[i - 1].isalpha()
        out.append("\\" + ch if escape else table.get(ch, ch))
    return "".join(out)


def sample(chars: int = 6000) -> str:
    return unicodedata.normalize("NFC", (FIXTURES / "legal_sample.txt").read_text(encoding="utf-8")[:chars])


def test_the_fixture_covers_every_marked_letter():
    marked = {c for c in VIETNAMESE_LETTERS if not c.isascii()}
    assert set(TABLES["viqr"]) == marked
    assert set(TABLES["vni"]) == marked - set("íìÍÌ")  # VNI writes these four as Latin-1 does
    # TCVN3 has every lowercase letter, and capitals only without tone marks (ĂÂÊÔƠƯĐ)
    assert set(TABLES["tcvn3"]) == {c for c in marked if c.islower()} | set("ĂÂÊÔƠƯĐ")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_published_spelling_converts_to_its_letter(encoding):
    wrong = {seq: (to_unicode(seq, encoding), letter) for letter, seq in TABLES[encoding].items()
             if to_unicode(seq, encoding) != letter}
    assert not wrong
    # and inside words, where the longest spelling must win (VNI ô is ơ, oâ is ô, ôù is ớ)
    letters = "".join(TABLES[encoding])
    words = " ".join(c + "a" if c in "đĐ" else "x" + c + "n" for c in letters)  # đ starts a syllable
    assert to_unicode(encode(words, encoding), encoding) == words


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_document_round_trips_and_is_detected(encoding):
    text = sample()
    if encoding == "tcvn3":
        text = text.lower()  # TCVN3 has no codes for capitals with tone marks
    legacy = encode(text, encoding)
    assert legacy != text and detect(legacy) == encoding
    assert to_unicode(legacy, encoding) == text


@pytest.mark.parametrize("encoding, legacy, expected", [
    ("tcvn3", MOTTO_TCVN3, MOTTO),
    ("vni", "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("viqr", "Co^.ng ho`a xa~ ho^.i chu? nghi~a Vie^.t Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
])
def test_the_motto_in_each_encoding(encoding, legacy, expected):
    assert detect(legacy) == encoding
    assert to_unicode(legacy, encoding) == expected


def test_tcvn3_lines_in_a_capital_font_come_out_in_capitals():
    legacy = ("CéNG HOµ X· HéI CHñ NGHÜA VIÖT NAM\n§éc lËp - Tù do - H¹nh phóc\n"
              "Sè: 12/Q§-UBND\nUBND TØNH Hµ NAM\n")
    assert to_unicode(legacy, "tcvn3") == ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
                                           "Số: 12/QĐ-UBND\nUBND TỈNH HÀ NAM\n")


@pytest.mark.parametrize("viqr, expected", [
    ("Anh ddi dda^u\\? Ha` No^.i.", "Anh đi đâu? Hà Nội."),  # escaped mark; a second tone is punctuation
    ("DDa` Na(~ng, Ngh: 16/2006/NDD-CP", "Đà Nẵng, Ngh: 16/2006/NĐ-CP"),
    ("add odd a+b e(", "add odd a+b e("),  # dd only starts a word; marks that fit no letter stay
    ("na`y.DDie^`u mo+'i", "này.Điều mới"),
    ("xem http://vi.vn/a.b?c=d, i.e@mail.vn", "xem http://vi.vn/a.b?c=d, i.e@mail.vn"),
])
def test_viqr_conventions(viqr, expected):
    assert to_unicode(viqr, "viqr") == expected


@pytest.mark.parametrize("text", [
    sample(),  # Unicode Vietnamese
    strip_diacritics(sample()),  # the model's usual input
    strip_diacritics(sample()).upper(),
    "Tôi và cô có cá. Bà có mèo. Hà Nội à?",  # Unicode whose letters are all Latin-1 too
    "Hà Nội",
    "The committee met on Monday. What's next? I'm sure we'll agree, e.g. on the budget (3.5%).",
    "Le café à côté de la gare. Die Größe für München. Señor Muñoz, déjà vu.",
    "Version 3.5? See https://example.com/a.b?c=d or write to info@example.com. 1.2.3. 4.5?",
    "Dieu 5. Gia 3.5? Ai di dau? Ve nha. Ho va ten: Nguyen Van A.",
    "§ 3. Giá: 5 000 đ · Số lượng: 2 · Tổng: 10 000 đ. © 2024 Công ty ABC.",
    "",
])
def test_detection_leaves_other_text_alone(text):
    assert detect(text) is None


def run_cli(args, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_converts_tcvn3_files_before_restoring(tiny_model, tmp_path, capsys, monkeypatch):
    pasted = tmp_path / "pasted.txt"  # copied out of a .VnTime Word file, saved as UTF-8
    pasted.write_text(MOTTO_TCVN3 + "\n", encoding="utf-8")
    raw = tmp_path / "raw.txt"  # a single-byte TCVN3 file: not UTF-8
    raw.write_bytes((MOTTO_TCVN3 + "\n").encode("cp1252"))
    plain = tmp_path / "plain.txt"
    plain.write_text(strip_diacritics(MOTTO) + "\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, err = run_cli(["-m", str(tiny_model), str(pasted), str(raw), str(plain), "-o", str(out_dir)],
                           capsys, monkeypatch)
    assert code == 0, err
    assert f"{pasted}: converted from tcvn3" in err and f"{raw}: converted from tcvn3" in err
    assert str(plain) not in err
    for name in ("pasted.txt", "raw.txt", "plain.txt"):  # restored words keep their letters, whatever the model
        assert strip_diacritics((out_dir / name).read_text(encoding="utf-8")) == strip_diacritics(MOTTO) + "\n"

    # The README's `vidiac-restore --legacy tcvn3 vntime.txt`: the encoding given, not detected, to stdout.
    code, out, err = run_cli(["-m", str(tiny_model), "--legacy", "tcvn3", str(raw)], capsys, monkeypatch)
    assert code == 0, err
    assert strip_diacritics(out) == strip_diacritics(MOTTO) + "\n"

    kept = tmp_path / "kept"
    code, _, err = run_cli(["-m", str(tiny_model), "--legacy", "none", str(pasted), str(raw), "-o", str(kept)],
                           capsys, monkeypatch)
    assert code == 2 and "converted" not in err and f"{raw}: not valid utf-8" in err
    assert strip_diacritics((kept / "pasted.txt").read_text(encoding="utf-8")).startswith("Ceng hoµ")
