import io
import json
import shutil
import sys

import pytest

from vidiac.infer.cli import main
from vidiac.infer.correction import CHANNEL_NAME, Corrector
from vidiac.infer.lexicon import Lexicon
from vidiac.infer.restorer import DEFAULT_MODEL, ModelDirError, Restorer
from vidiac.infer.vietnamese import strip_diacritics

FORMS = {"cua": ["của", "cua"], "quyen": ["quyền"], "cong": ["công"], "dan": ["dân"], "con": ["con"],
         "hop": ["hợp", "họp"], "dong": ["đồng"], "o": ["ở"], "dieu": ["điều"], "bo": ["bộ"]}
COUNTS = {"của": 50, "cua": 5, "quyền": 20, "công": 20, "dân": 20, "con": 30, "hợp": 10, "họp": 10, "đồng": 10,
          ",": 40, ".": 40, "ở": 30, "6": 10, "điều": 10, "bộ": 10}
NGRAMS = {("quyền", "của"): 10, ("của", "công"): 10, ("công", "dân"): 10, ("quyền", "của", "công"): 10,
          ("của", "công", "dân"): 10, ("con", "cua"): 5, ("hợp", "đồng"): 8, ("họp", "đồng"): 1,
          ("dân", "ở"): 5, ("ở", "đồng"): 5, ("dân", "ở", "đồng"): 5, ("điều", "6"): 10,
          ("dân", ","): 10, ("công", "dân", ","): 10, ("bộ", "công"): 5}
LEXICON = Lexicon(FORMS, COUNTS, NGRAMS)
# The engine prints ủ as i as often as it keeps the u (`cia`), ợ as g (`hgp`) 4 times in 6.
CHANNEL = {"ủ": {"i": 1.0}, "ợ": {"g": 0.67}, "ở": {"6": 0.5}, ",": {".": 0.5}}


def corrector(severity=1.0, sure=0.9):
    return Corrector(LEXICON, CHANNEL, severity, sure)


def test_candidates_are_the_words_own_forms_then_the_misread_ones_weighted_by_the_channel():
    forms, weights, errors = corrector(severity=0.5).candidates("cia")
    assert forms == ("của",) and errors == (1,)  # `cia` has no form of its own
    assert weights == (0.5 * 1.0,)  # severity times the channel's weight
    forms, weights, errors = corrector().candidates("cua")
    assert forms == ("của", "cua") and weights == (1.0, 1.0) and errors == (0, 0)
    assert corrector().candidates("hgp")[0] == ("hợp",)
    assert corrector().candidates("xyz")[0] == ()


def test_a_misread_word_is_corrected_from_its_line_in_the_inputs_case():
    c = corrector()
    assert c.correct(["quyền", "cia", "công", "dân"]) == ["quyền", "của", "công", "dân"]
    assert c.correct(["Quyen", "Cia,", "cong"]) == ["Quyen", "Của,", "cong"]
    assert c.correct(["QUYỀN", "CIA", "CÔNG"]) == ["QUYỀN", "CỦA", "CÔNG"]
    assert c.correct(["hgp", "đồng"]) == ["hợp", "đồng"]
    assert c.correct(["dân", "6", "đồng"]) == ["dân", "ở", "đồng"]  # a short token without letters too
    assert c.correct(["Điều", "6"]) == ["Điều", "6"]  # where the line wants the digit, it stays
    assert c.correct(["công", "dân."]) == ["công", "dân,"]  # and a punctuation mark misread as another


def test_a_comma_before_a_lowercase_word_is_never_read_as_a_full_stop():
    heading = Lexicon(FORMS, COUNTS, {**NGRAMS, ("6", "."): 50, (".", "công"): 50, ("điều", "6", "."): 50,
                                      ("6", ".", "công"): 50})
    c = Corrector(heading, {".": {",": 0.5}}, 1.0, 0.9)  # the engine prints `,` for `.` once in three
    assert c.correct(["Điều", "6,", "Công"]) == ["Điều", "6.", "Công"]  # the heading `Điều 6. Công dân`
    assert c.correct(["Điều", "6,", "công"]) == ["Điều", "6,", "công"]  # a list: no sentence ends there
    assert c.correct(["Điều", "6.", "công"]) == ["Điều", "6.", "công"]  # a stop as written is left to the line


def test_the_case_of_the_word_after_a_stop_weighs_which_stop_the_engine_misread():
    # Lowercase counts cannot tell a clause (`6. Công dân ...`) from a list (`6, công dân`): the word's case can.
    clause = Lexicon(FORMS, COUNTS, {**NGRAMS, ("6", "."): 40, ("6", ","): 20, (".", "công"): 20, (",", "công"): 20})
    c = Corrector(clause, {".": {",": 0.5}}, 1.0, 0.9)  # the engine prints `,` for `.` once in three
    assert c.correct(["6,", "Công", "dân", "có", "quyền"]) == ["6.", "Công", "dân", "có", "quyền"]
    assert c.correct(["6,", "công", "dân"]) == ["6,", "công", "dân"]
    # A paragraph's opening number is followed by a full stop (88,976 of 88,978 in the legal corpus),
    # in a heading too, and on a page read with marks, whose misreadings count a tenth as much.
    assert c.correct(["6,", "CÔNG", "DÂN"]) == ["6.", "CÔNG", "DÂN"]
    assert c.correct(["6,", "Công", "dân", "có", "quyền"], factor=0.1) == ["6.", "Công", "dân", "có", "quyền"]
    assert c.correct(["của", "6,", "Công", "dân"]) == ["của", "6,", "Công", "dân"]  # inside a line, nor do names'
    assert c.correct(["6;", "Công", "dân"]) == ["6;", "Công", "dân"]  # no misreading of `;` in the channel


def test_no_correction_without_ocr_or_where_the_line_does_not_call_for_it():
    c = corrector()
    assert c.correct(["quyền", "cia", "công", "dân"], factor=0.0) == ["quyền", "cia", "công", "dân"]
    assert c.correct(["con", "cua"]) == ["con", "cua"]  # a real word in a context that wants it
    assert corrector(sure=1.0).correct(["cia"]) == ["cia"]  # it may be a word the lexicon never saw
    assert corrector().correct(["xia", "công"]) == ["xia", "công"]  # no word the engine may have read so


def test_forms_with_the_same_letters_pool_their_probability_since_decoding_chooses_the_marks():
    # `b6` is bộ, bố or bổ, a third each: none is sure, its letters are.
    lexicon = Lexicon({"bo": ["bộ", "bố", "bổ"], "may": ["máy"]}, {"bộ": 10, "bố": 10, "bổ": 10, "máy": 30}, {})
    c = Corrector(lexicon, {"ộ": {"6": 1.0}, "ố": {"6": 1.0}, "ổ": {"6": 1.0}}, 1.0, 0.9)
    first, second = c.correct(["b6", "máy"])
    assert strip_diacritics(first) == "bo" and second == "máy"


def test_a_word_with_a_symbol_for_a_letter_is_read_whole_and_corrected_in_context():
    # The engine prints `?` for a letter it cannot place: `c?a` is của, read as one token.
    c = Corrector(LEXICON, {**CHANNEL, "ủ": {"i": 1.0, "?": 0.5}}, 1.0, 0.9)
    assert c.correct(["quyền", "c?a", "công", "dân"]) == ["quyền", "của", "công", "dân"]
    assert c.correct(["dân?", "công"]) == ["dân?", "công"]  # after a word, `?` is a question mark
    assert c.correct(["quyền", "x?z", "công"]) == ["quyền", "x?z", "công"]  # nothing likely: left alone
    # After a letter, `?` may be part of it (`tri?` for trữ), where a question mark is unlikely there.
    c = Corrector(LEXICON, {**CHANNEL, "ộ": {"o?": 0.5}}, 1.0, 0.9)
    assert c.correct(["bo?", "công", "dân"]) == ["bộ", "công", "dân"]
    assert c.correct(["Bo?"]) == ["Bộ"] and c.correct(["dân?"]) == ["dân?"]


def test_capitals_the_engine_read_inside_a_word_take_the_words_case():
    c = corrector()
    assert c.correct(["quyền", "cUa", "cOng", "dân"]) == ["quyền", "của", "công", "dân"]
    assert c.correct(["QUYỀN", "CiA", "CÔNG"]) == ["QUYỀN", "CỦA", "CÔNG"]  # in a heading: capitals
    # on a line of text: its first
    assert c.correct(["Quyền", "CUa", "công", "dân"]) == ["Quyền", "Của", "công", "dân"]
    assert c.correct(["quyền", "eKYC", "công", "dân"]) == ["quyền", "eKYC", "công", "dân"]  # no syllable: a name
    # A capital and a vowel read tall (`BO` for Bộ) on a line of text; in a heading, capitals.
    assert c.correct(["BO", "công", "dân"]) == ["Bộ", "công", "dân"]
    assert c.correct(["BO", "CÔNG", "DÂN"]) == ["BO", "CÔNG", "DÂN"]
    # A misread letter's case tells nothing (`BG` for Bộ): the letters read right and the line decide.
    c = Corrector(LEXICON, {**CHANNEL, "ộ": {"g": 0.5}}, 1.0, 0.9)
    assert c.correct(["BG", "công", "dân"]) == ["Bộ", "công", "dân"]
    assert c.correct(["BG", "CÔNG", "DÂN"]) == ["BỘ", "CÔNG", "DÂN"]
    # Nor does an `I` read for an l (`Idi` for lợi), but at the start of a sentence; a capital
    # misread as another stays one (`Pang` for Đảng).
    c = Corrector(Lexicon({**FORMS, "loi": ["lợi"]}, {**COUNTS, "lợi": 20}, NGRAMS),
                  {**CHANNEL, "l": {"i": 0.5}, "b": {"p": 0.5}}, 1.0, 0.9)
    assert c.correct(["quyền", "Iợi", "công", "dân"]) == ["quyền", "lợi", "công", "dân"]
    assert c.correct(["Iợi", "công", "dân"]) == ["Lợi", "công", "dân"]
    assert c.correct(["dân.", "Iợi", "công"]) == ["dân.", "Lợi", "công"]
    assert c.correct(["Iợi", "công"], before="quyền") == ["lợi", "công"]  # a printed line that goes on
    assert c.correct(["quyền", "Pộ", "công", "dân"]) == ["quyền", "Bộ", "công", "dân"]


def test_the_share_of_unknown_words_tells_ocr_from_typed_text():
    c = corrector()
    assert c.share_unknown(["quyen", "cua", "cong", "dan", "ABC"]) == 0.0  # capitals are codes, not OCR
    assert c.share_unknown(["quyen", "cia", "cong", "hgp", "2024"]) == 0.5


def test_a_model_directory_without_a_channel_corrects_nothing_and_a_broken_one_is_named(tmp_path):
    assert Corrector.load(tmp_path, LEXICON, 1.0, 0.9) is None
    (tmp_path / CHANNEL_NAME).write_text(json.dumps({"misreadings": CHANNEL}), encoding="utf-8")
    assert Corrector.load(tmp_path, LEXICON, 1.0, 0.9).correct(["hgp", "đồng"]) == ["hợp", "đồng"]
    assert Corrector.load(tmp_path, LEXICON, 0.0, 0.9) is None  # severity 0 turns it off
    (tmp_path / CHANNEL_NAME).write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{CHANNEL_NAME}: not an OCR channel"):
        Corrector.load(tmp_path, LEXICON, 1.0, 0.9)
    # A channel whose confidence calibration predates the calibrated other readings says how to rewrite it.
    old = {"misreadings": CHANNEL, "confidence": {k: CONFIDENCE[k] for k in ("edges", "wrong")}}
    (tmp_path / CHANNEL_NAME).write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(ValueError, match="other readings were calibrated; write it again with vidiac-ocr-pairs"):
        Corrector.load(tmp_path, LEXICON, 1.0, 0.9)


def test_a_broken_channel_is_a_clear_model_directory_error(tiny_model, tmp_path):
    model = shutil.copytree(tiny_model, tmp_path / "model")
    (model / CHANNEL_NAME).write_text('{"misreadings": {"a": {"b": "x"}}}', encoding="utf-8")
    with pytest.raises(ModelDirError, match="not an OCR channel"):
        Restorer.from_pretrained(model)


@pytest.fixture(scope="module")
def shipped():
    return Restorer.from_pretrained(DEFAULT_MODEL)


def test_typed_text_is_never_corrected(shipped):
    text = "Anh ta vai ke hoach nay"
    assert shipped.corrector.correct(text.split(), 1.0)[2] == "với"  # at OCR's error rates, vai is với misread
    assert strip_diacritics(shipped.restore(text)) == text  # but every word is known: typed text, no correction


def test_units_and_codes_on_a_short_typed_line_are_not_read_as_ocr_misreadings(shipped):
    line = "Dien tich 25ha, nang suat 5.500kg/ha"  # 2 of 6 words unknown: it reads like OCR
    assert shipped.noise(line.split(), line.split()) == 0.0  # but correction rewrote nothing
    assert shipped.restore(line) == "Diện tích 25ha, năng suất 5.500kg/ha"
    ocr = "Bé tri kinh phi tir ngân sach nha nuéc cia dia phuong dé thyc hién ngh¢ wkx".split()
    corrected = shipped.corrector.correct(ocr, 1.0)
    assert corrected != ocr and shipped.noise(ocr, corrected) > 0.0


def test_the_shipped_model_corrects_tesseract_eng_misreadings_and_flags_them(shipped):
    restorer = shipped
    source = "Bé tri kinh phi tir ngân sach nha nuéc cia dia phuong dé thyc hién"
    (text, records), = restorer.review([source])
    assert text == "Bố trí kinh phí từ ngân sách nhà nước của địa phương để thực hiện"
    assert [r["input"] for r in records] == source.split()
    flagged = {r["input"]: r["output"] for r in records if r["flag"] == "corrected"}
    assert flagged["cia"] == "của" and flagged["thyc"] == "thực"


# `bổ sung` is one phrase; `tế - xã` is printed with its dash (`kinh tế - xã hội`); the filler makes
# the words rare, as words are.
JOINED = Lexicon({"bo": ["bổ"], "sung": ["sung"], "te": ["tế"], "xa": ["xã"], "kinh": ["kinh"]},
                 {"bổ": 60, "sung": 60, "tế": 40, "xã": 40, "kinh": 40, "-": 40, ".": 40, "the": 10_000},
                 {("bổ", "sung"): 50, ("kinh", "tế"): 40, ("tế", "-"): 30, ("-", "xã"): 30})


def test_two_words_the_engine_ran_together_are_set_apart_where_the_channel_and_the_line_agree():
    # The engine reads a space as `-` or `.` one time in 400, and runs words together one in 100.
    c = Corrector(JOINED, {" ": {"-": 0.0025, ".": 0.0017, "": 0.01}}, 1.0, 0.9)
    assert c.correct(["Bổ.sung,", "kinh"]) == ["Bổ sung,", "kinh"]  # one word still, with a space inside
    assert c.correct(["BO-SUNG"]) == ["BO SUNG"] and c.correct(["bosung"]) == ["bo sung"]
    assert c.correct(["kinh", "tế-xã"]) == ["kinh", "tế-xã"]  # the dash is likelier printed
    assert c.correct(["the.bo"]) == ["the.bo"]  # a pair the lexicon never saw
    assert c.correct(["Bổ.sung,"], factor=0.0) == ["Bổ.sung,"]  # typed text: as typed


def test_a_full_stop_between_words_run_together_weighs_the_case_of_the_word_after_it():
    # `kinh.tế` is likelier printed than read from a space once in 600, until the full stop is
    # followed by a lowercase word, which it seldom is.
    lexicon = Lexicon({"te": ["tế"], "kinh": ["kinh"]}, {"tế": 40, "kinh": 40, ".": 40, "the": 10_000},
                      {("kinh", "tế"): 40, ("kinh", "."): 4, (".", "tế"): 4})
    c = Corrector(lexicon, {" ": {".": 0.0017}}, 1.0, 0.9)
    assert c.correct(["kinh.tế"]) == ["kinh tế"]
    assert c.correct(["kinh.Tế"]) == ["kinh.Tế"]


def test_a_mark_between_lowercase_words_run_together_is_a_space_the_engine_misread(shipped):
    # A text seldom writes a colon, comma or hyphen between two syllables with no space beside it
    # (`khám,chữa` 360 times, `khám, chữa` about a million), however its neighbours count it.
    c = shipped.corrector
    for factor in (0.1, 1.0):  # on a page read with marks, and one without
        assert c.correct("sau khi hết:thời hạn, đề,án".split(), factor) == ["sau", "khi", "hết thời", "hạn,", "đề án"]
        assert c.correct("chế độ-hưu trí".split(), factor) == ["chế", "độ hưu", "trí"]
        assert c.correct("phòng, chống tham nhũng - tiêu cực".split(), factor) == \
            "phòng, chống tham nhũng - tiêu cực".split()  # spaced, as written
        assert c.correct(["Ba-ri-e"], factor) == ["Ba-ri-e"]  # a name's syllables


def test_a_comma_that_ends_a_paragraph_is_a_full_stop_the_engine_misread():
    # Of 478,208 commas after a syllable in the legal corpus 118 end a paragraph; of full stops, 0.86.
    lexicon = Lexicon(FORMS, COUNTS, {**NGRAMS, ("dân", "."): 5, ("công", "dân", "."): 5})
    c = Corrector(lexicon, {".": {",": 0.05}}, 1.0, 0.9)  # the engine prints `,` for `.` once in twenty
    assert c.correct(["của", "công", "dân,"], paragraph_end=True) == ["của", "công", "dân."]
    assert c.correct(["của", "công", "dân,"]) == ["của", "công", "dân,"]  # a wrapped line goes on
    assert c.correct(["CỦA", "CÔNG", "DÂN,"], paragraph_end=True) == ["CỦA", "CÔNG", "DÂN,"]  # headings wrap
    assert c.correct(["của", "công", "dân,"], factor=0.0, paragraph_end=True) == ["của", "công", "dân,"]


def test_a_short_line_before_one_that_does_not_read_on_ends_its_paragraph(shipped):
    page = ("1. Uy ban nhan dan x4 cé trach nhiém t6 chitc thuc hién cac ndi dung cia ké hoach\n"
            "va bao cao két qua vé Uy ban nhan dan huyén theo quy dinh,\n"
            "2. Cac co quan, don vi lién quan cé trach nhiém phéi hop thuc hién ké hoach nay,\n"
            "dam bao ding tién dé dé ra va hiéu qua thiét thuc,\n"
            "3. Van phong Uy ban nhan dan x4 theo déi, téng hop tinh hinh thuc hién ké hoach.")  # Tesseract `eng`
    lines = shipped.restore(page).split("\n")
    assert lines[1].endswith("quy định.")  # short, and the next line opens a clause
    assert lines[2].endswith("kế hoạch này,")  # full: the paragraph goes on
    assert lines[3].endswith("thiết thực.")


def test_a_stop_or_quote_the_engine_printed_from_a_speck_is_dropped_where_the_line_reads_on():
    # The engine prints `n.` for an n once in a hundred: a speck after the letter read as a stop.
    c = Corrector(LEXICON, {**CHANNEL, "n": {"n.": 0.01, "n:": 0.01}}, 1.0, 0.9)
    assert c.correct(["quyền", "của", "công.", "dân"]) == ["quyền", "của", "công", "dân"]
    assert c.correct(["quyền", "của", "công:", "dân"]) == ["quyền", "của", "công", "dân"]
    assert c.correct(["của", "công."], next_line="dân") == ["của", "công"]  # a page's line that reads on
    assert c.correct(["của", "công.", "Dân"]) == ["của", "công.", "Dân"]  # a sentence may end there
    assert c.correct(["của", "công."], next_line="a)") == ["của", "công."]  # before a list item too
    assert c.correct(["của", "công,", "dân"]) == ["của", "công,", "dân"]  # commas are left to the line
    assert c.correct(["của", "công.", "dân"], factor=0.0) == ["của", "công.", "dân"]  # typed text: as typed
    # `'c` for a c once in a hundred: a quote no mark closes is a speck; a quote closed stays.
    c = Corrector(LEXICON, {**CHANNEL, "c": {"'c": 0.01}}, 1.0, 0.9)
    assert c.correct(["quyền", "'của", "công"]) == ["quyền", "của", "công"]
    assert c.correct(["quyền", "'của", "công'"]) == ["quyền", "'của", "công'"]
    assert c.correct(["quyền", "'của"], factor=0.0) == ["quyền", "'của"]
    ended = Lexicon(FORMS, COUNTS, {**NGRAMS, ("dân", "."): 20, (".", "con"): 20, ("công", "dân", "."): 10})
    c = Corrector(ended, {**CHANNEL, "n": {"n.": 0.01}}, 1.0, 0.9)
    assert c.correct(["công", "dân.", "con"]) == ["công", "dân.", "con"]  # where the line calls for it, it stays


def test_a_merged_word_is_restored_as_two_and_keeps_its_line_and_its_record(shipped):
    source = "Cong chifc nhitng ngwoi dugc giao bo.sung, ho so\ntai tru-so cua UBND xa"
    (text, records), = shipped.review([source])
    assert text == "Công chức những người được giao bổ sung, hồ sơ\ntại trụ sở của UBND xã"
    assert [r["input"] for r in records] == source.split()  # a record for each word as it came
    split = {r["input"]: r["output"] for r in records if " " in r["output"]}
    assert split == {"bo.sung,": "bổ sung,", "tru-so": "trụ sở"}
    assert all(r["confidence"] is not None for r in records)


def test_a_page_written_with_marks_gets_its_misread_real_words_corrected_and_keeps_its_capitals(shipped):
    # Tesseract `vie` on a poor scan: every word a syllable, `bóp` for họp and `bạn` for hạn.
    page = ("Hội đồng quản trị phải triệu tập bóp Đại hội đồng cổ đông trong thời bạn 60 ngày.\n"
            "Doanh nghiệp chấm dứt boat động theo quy định của Luật này.")
    assert shipped.restore(page) == ("Hội đồng quản trị phải triệu tập họp Đại hội đồng cổ đông trong thời hạn "
                                     "60 ngày.\nDoanh nghiệp chấm dứt hoạt động theo quy định của Luật này.")
    typed = "Các nước EU và đội MU đã ký thỏa thuận hợp tác với Việt Nam."
    assert shipped.restore(typed) == typed
    off = Restorer.from_pretrained(DEFAULT_MODEL, marked_correction=0.0)
    assert "bóp" in off.restore(page)


def test_a_line_without_letters_in_an_ocr_document_stays_as_it_is(shipped):
    lines = ["Thong tu nay quy dinh vé chirc nang, nhiém vu cia Cuc", "@@@", "***", "-----", "6 &",
             "Dieu 2. Doi tuong ap dung"]
    out = shipped.restore("\n".join(lines)).split("\n")
    assert out[1:5] == lines[1:5]
    assert out[0].endswith("của Cục") and out[5] == "Điều 2. Đối tượng áp dụng"


def test_keep_letters_turns_correction_off_in_the_cli(capsys, monkeypatch):
    source = "Thong tu nay quy dinh vé chirc nang, nhiém vu, quyén han va co cau t6 chirc cia Cuc\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source.encode())))
    assert main([]) == 0
    assert capsys.readouterr().out == ("Thông tư này quy định về chức năng, nhiệm vụ, quyền hạn và cơ cấu tổ chức "
                                       "của Cục\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source.encode())))
    assert main(["--keep-letters"]) == 0
    out = capsys.readouterr().out
    assert strip_diacritics(out) == strip_diacritics(source)


# Letters the engine gave 0.99 or more are wrong 1 time in 1000, below 0.9 1 time in 3; another
# reading it weighed at over half the printed one is right 4 times in 10 where the printed one is.
CONFIDENCE = {"edges": [0.9, 0.99, 1.0], "wrong": [0.3, 0.03, 0.001],
              "alternatives": {"edges": [0.5, 1.0], "odds": [0.05, 0.4]}}


def read(word, doubted=(), readings=None):
    """A word as the engine printed it: each character sure (0.999), or doubted (0.6), with its readings."""
    return [(c, 0.6 if i in doubted else 0.999, (readings or {}).get(i, {})) for i, c in enumerate(word)]


def test_a_character_the_engine_doubted_costs_less_to_change_than_one_it_was_sure_of():
    c = Corrector(LEXICON, CHANNEL, 0.002, 0.9, CONFIDENCE)  # an engine that rarely prints ủ as i
    line = ["quyền", "cia", "công", "dân"]
    assert c.correct(line, 0.04) == line  # from the text alone, `cia` is too unlikely a misreading
    doubted = c.evidence([read(w, doubted={1} if w == "cia" else ()) for w in line])
    assert c.correct(line, 0.04, doubted) == ["quyền", "của", "công", "dân"]
    sure = c.evidence([read(w, doubted={0} if w == "dân" else ()) for w in line])  # the page's doubt is elsewhere
    assert c.candidates("cia")[1][0] < c.candidates("cia", doubted[1])[1][0]
    assert c.candidates("cia", sure[1])[0] == ()  # so unlikely a misreading that it is not considered


def test_the_engines_other_readings_of_a_character_are_its_channel_there():
    c = Corrector(LEXICON, {}, 1.0, 0.9, CONFIDENCE)  # a channel that knows no misreading at all
    assert c.candidates("dong")[0] == ("đồng",)  # its own form only: marks are decoding's job
    assert c.candidates("cia")[0] == ()
    seen = c.evidence([read("cia", doubted={1}, readings={1: {"i": 0.5, "u": 0.2, ":": 0.1}})])[0]
    # The letter, at the calibrated odds of a reading weighed at 0.4 of the printed one; no mark, no symbol.
    assert seen[1][1] == (("u", 0.05),)
    forms, weights, errors = c.candidates("cia", seen)
    assert forms == ("của", "cua") and weights == (0.05, 0.05) and errors == (1, 1)
    assert (c.evidence([[], read("cia")])[0] is None
            and Corrector(LEXICON, {}, 1.0, 0.9).evidence([read("cia")]) == [None])


def test_no_misreading_of_a_doubted_character_weighs_more_than_reading_it_right():
    c = Corrector(LEXICON, CHANNEL, 0.5, 0.9, CONFIDENCE)  # ủ read as i half as often as kept
    page = c.evidence([read("cia", doubted={1})] + [read("dân")] * 20)
    assert page[0][1][0] > 10  # misread far more often than the page's average character
    forms, weights, errors = c.candidates("cia", page[0])
    assert "của" in forms and all(w <= 1.0 for w, e in zip(weights, errors) if e)
    assert weights[forms.index("của")] == 1.0  # as likely as the letter read right, no likelier


def test_a_word_the_lexicon_does_not_know_takes_its_likeliest_correction_at_sure_unknown():
    # `bx` may be ba (3 times in 4 by count) or bộ: never sure at 0.9, and wrong as printed.
    lexicon = Lexicon({"ba": ["ba"], "bo": ["bộ"]}, {"ba": 30, "bộ": 10}, {})
    channel = {"a": {"x": 1.0}, "ộ": {"x": 1.0}}
    assert Corrector(lexicon, channel, 1.0, 0.9).correct(["bx"]) == ["bx"]
    assert Corrector(lexicon, channel, 1.0, 0.9, sure_unknown=0.5).correct(["bx"]) == ["ba"]
    assert Corrector(lexicon, channel, 1.0, 0.9, sure_unknown=0.5).correct(["ba"]) == ["ba"]  # a known word stands
