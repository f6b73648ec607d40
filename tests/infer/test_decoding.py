import json
from collections import Counter

import numpy as np
import pytest
import torch

from vidiac.infer.chunking import Layout
from vidiac.infer.decoding import Row, decode
from vidiac.infer.lexicon import Lexicon, options
from vidiac.infer.restorer import DEFAULT_MODEL, Restorer, lettered
from vidiac.infer.vietnamese import strip_diacritics

LEXICON = Lexicon({"quan": ["quan", "quản", "quân"], "xa": ["xã", "xa"], "la": ["là", "la"], "dang": ["đảng"]})
SOURCES = [
    "Ket qua cong tac tuyen truyen cai cach hanh chinh quy I nam 2024",
    "UY BAN NHAN DAN XA HOA BINH\nSo: 12/QD-UBND",
    "Dang uy xa chi dao cac co quan, don vi thuc hien nghiem tuc.",
    "The committee met on 3 May; see https://example.gov.vn for details.",
    "1.1.LQ.8. Trach nhiem, nghia vu bao ve an ninh quoc gia",
]


def test_options_keep_the_skeleton_and_the_case():
    assert "ấ" in options("a", "skeleton") and "đ" in options("d", "skeleton")
    assert "Ấ" in options("A", "skeleton") and "ấ" not in options("A", "skeleton")
    assert options("t", "skeleton") == ("t",) and options("4", "skeleton") == ("4",)
    assert all(strip_diacritics(o) == "o" for o in options("ộ", "skeleton"))  # a wrong mark can be corrected


def test_ocr_mode_allows_known_misreadings():
    assert "ã" in options("4", "ocr") and "ô" in options("6", "ocr") and "l" in options("1", "ocr")
    assert "Đ" in options("P", "ocr") and "ư" in options("w", "ocr")
    assert LEXICON.candidates("x4", "ocr") == ("xã", "xa")
    assert LEXICON.candidates("1a", "ocr") == ("là", "la")
    assert LEXICON.candidates("x4", "skeleton") == ()


def test_lexicon_candidates_follow_the_input_case():
    assert LEXICON.candidates("QUAN", "skeleton") == ("QUAN", "QUẢN", "QUÂN")
    assert LEXICON.candidates("Dang", "skeleton") == ("Đảng",)
    assert LEXICON.candidates("hom", "skeleton") == ()


@pytest.fixture(scope="module")
def shipped():
    return Restorer.from_pretrained(DEFAULT_MODEL)


def _greedy_one_byte_at_a_time(model, tokenizer, source, lexicon, mode, weight):
    row = Row(source, lexicon, mode, weight)
    enc = tokenizer([source], return_tensors="pt")
    ids = [model.config.decoder_start_token_id]
    with torch.inference_mode():
        encoded = model.get_encoder()(**enc)
        while not row.done:
            logits = None
            if len(row.allowed()) > 1:  # a forced byte needs no model call
                logits = model(encoder_outputs=encoded, attention_mask=enc["attention_mask"],
                               decoder_input_ids=torch.tensor([ids])).logits[0, -1]
            ids.append(row.step(logits))
    return row.text


@pytest.mark.parametrize("mode, weight, draft", [("skeleton", 0.0, 48), ("ocr", 0.0, 48), ("skeleton", 1.0, 48),
                                                 ("ocr", 1.0, 48), ("skeleton", 1.0, 5), ("ocr", 0.0, 5)])
def test_draft_verified_decoding_equals_one_byte_at_a_time(shipped, mode, weight, draft, monkeypatch):
    """The speed-up is lossless: the same bytes as one decoder step per byte, in fewer passes,
    for the model alone (weight 0) and fused with the lexicon's prior; with short drafts, rows
    accept drafts whole and part, and the KV cache is cut back and thinned many times."""
    monkeypatch.setattr("vidiac.infer.decoding.DRAFT_BYTES", draft)
    backend = shipped.backend
    rows = [Row(s, shipped.lexicon, mode, weight) for s in SOURCES]
    passes = decode(backend.session(SOURCES), rows)
    expected = [_greedy_one_byte_at_a_time(backend.model, backend.tokenizer, s, shipped.lexicon, mode, weight)
                for s in SOURCES]
    assert [r.text for r in rows] == expected
    assert passes < max(len(s) for s in SOURCES) // 2


def counted(forms: dict[str, list[str]], lines: list[str]) -> Lexicon:
    """A lexicon of `forms` with the tokens, pairs and triples of `lines` counted, as the
    training text's are: within a line, space-separated."""
    counts, ngrams = Counter(), Counter()
    for line in lines:
        tokens = line.split()
        counts.update(tokens)
        ngrams.update([*zip(tokens, tokens[1:]), *zip(tokens, tokens[1:], tokens[2:])])
    return Lexicon(forms, counts=dict(counts), ngrams=dict(ngrams))


def _flat(row):
    """Decode with a model that has no opinion: the prior alone chooses."""
    while not row.done:
        row.step(torch.zeros(260))
    return row.text


def test_prior_reads_the_word_before_and_every_word_after():
    lexicon = counted({"co": ["có", "cơ", "cô"], "quan": ["quan", "quản", "quân"], "ly": ["lý", "ly"]},
                      ["tôi có nhà"] * 6 + ["có tiền"] * 4 + ["có quan hệ", "cô giáo", "quân đội", "cái ly"]
                      + ["các cơ quan", "mọi cơ quan", "những cơ quan"] * 2 + ["cơ quan quản lý"] * 2
                      + ["việc quản lý", "nhà quản lý"] * 2)
    assert _flat(Row("co", lexicon, "skeleton", 1.0)) == "có"  # alone: the most frequent form
    assert _flat(Row("co quan", lexicon, "skeleton", 1.0)) == "cơ quan"  # the word after decides
    assert _flat(Row("co quan quan ly", lexicon, "skeleton", 1.0)) == "cơ quan quản lý"
    assert _flat(Row("Co quan\nquan ly", lexicon, "skeleton", 1.0)) == "Cơ quan\nquản lý"
    assert _flat(Row("co\nquan", lexicon, "skeleton", 1.0)) == "cơ\nquan"  # a wrapped line goes on
    assert _flat(Row("co\nQuan", lexicon, "skeleton", 1.0)) == "có\nQuan"  # pairs do not cross into a sentence
    # The third word decides the first, through the second.
    chain = counted({"co": ["có", "cô"], "ban": ["bán", "bàn"], "an": ["ăn"], "hang": ["hàng"]},
                    [f"{x} {pair}" for x in ("a", "b") for pair in ("có bán", "cô bàn", "bàn ăn", "bán hàng")])
    assert _flat(Row("co ban an", chain, "skeleton", 1.0)) == "cô bàn ăn"
    assert _flat(Row("co ban hang", chain, "skeleton", 1.0)) == "có bán hàng"
    # Two words before decide where a counted triple says so; one word before where none does.
    triple = counted({"doi": ["đối", "đổi"], "voi": ["với"], "khi": ["khi"], "thay": ["thay"]},
                     ["với thay đổi"] * 3 + ["khi thay"] * 3
                     + ["a thay đối", "b thay đối", "c thay đối", "d thay đổi"])
    assert _flat(Row("voi thay doi", triple, "skeleton", 1.0)) == "với thay đổi"
    assert _flat(Row("khi thay doi", triple, "skeleton", 1.0)) == "khi thay đối"
    assert _flat(Row("voi\nthay doi", triple, "skeleton", 1.0)) == "với\nthay đổi"  # across a wrapped line
    assert _flat(Row("voi.\nthay doi", triple, "skeleton", 1.0)) == "với.\nthay đối"  # not into a sentence
    # Punctuation and digits are tokens of the context too, before and after.
    marks = counted({"dieu": ["diều", "điều"], "va": ["và"], "nam": ["nam", "năm"]},
                    ["a và diều", "b và diều", "thả diều", "con diều", "diều hâu", "và ."]
                    + ["a . điều", "b . điều", "c . điều"] + ["miền nam", "phía nam", "nam bộ"] * 2
                    + ["a năm 2024", "b năm 2024"])
    assert _flat(Row("va dieu", marks, "skeleton", 1.0)) == "và diều"
    assert _flat(Row("va. Dieu", marks, "skeleton", 1.0)) == "và. Điều"
    assert (_flat(Row("nam", marks, "skeleton", 1.0)) == "nam"
            and _flat(Row("nam 2024", marks, "skeleton", 1.0)) == "năm 2024")
    # The draft follows the prior; without it, each word's most frequent form.
    def draft(weight):
        return bytes(b - 3 for b in Row("co quan quan ly", lexicon, "skeleton", weight).draft(100)[:-1]).decode()
    assert draft(1.0) == "cơ quan quản lý" and draft(0.0) == "có quan quan lý"
    assert _flat(Row("co quan", Lexicon(lexicon.forms), "skeleton", 1.0)) == "có quan"  # no counts, no prior


def test_marks_as_written_are_evidence_as_strong_as_the_document_makes_them():
    lexicon = counted({"cua": ["của", "cửa", "cua"], "qua": ["qua", "quá"], "mo": ["mở"], "cong": ["công"]},
                      [f"{x} mở cửa" for x in "abcde"] + [f"{x} mở quá" for x in "abc"] + ["mở của", "mở qua"]
                      + ["nhà của tôi"] * 20 + ["con cua", "đi qua", "công"])
    assert _flat(Row("mở của", lexicon, "skeleton", 1.0)) == "mở cửa"  # no evidence: the trigram's choice
    assert _flat(Row("mở của", lexicon, "skeleton", 1.0, doubt=(0.001, 1.0))) == "mở của"  # trusted marks stay
    assert _flat(Row("mở của", lexicon, "skeleton", 1.0, doubt=(0.5, 1.0))) == "mở cửa"  # doubted ones yield
    assert _flat(Row("mở qua", lexicon, "skeleton", 1.0, doubt=(0.001, 1.0))) == "mở quá"  # bare: stripped, maybe
    assert _flat(Row("mở qua", lexicon, "skeleton", 1.0, doubt=(0.001, 0.001))) == "mở qua"  # bare in marked text
    # A marked syllable the lexicon keeps no form for stays as written where the marks are trusted
    # (a text this small cannot tell a rare word from a misreading: the shipped lexicon's test below).
    assert _flat(Row("mở cống", lexicon, "skeleton", 1.0, doubt=(0.01, 0.01))) == "mở cống"
    assert _flat(Row("mở cống", lexicon, "skeleton", 1.0)) == "mở công"


def test_a_code_in_capitals_stays_as_written_where_the_marks_are_trusted(shipped):
    """A word that can be no syllable gets no marks from the model where the document's writing
    is trusted: a Vietnamese engine printed `KXĐ` and `KOVALEVSKAYA` as they stand."""
    def choices(text, doubt):
        return [o for o in Row(text, shipped.lexicon, "skeleton", 1.0, doubt=doubt).line.options[3:] if len(o) > 1]
    for code, trusted in (("KXĐ", (0.01, 1.0)), ("KOVALEVSKAYA", (1.0, 0.01))):
        assert choices(f"mở {code}", trusted) == []
        assert choices(f"mở {code}", (1.0, 1.0))  # stripped text: the model restores codes (`CDN`: CĐN)


def test_how_much_the_marks_of_a_document_are_doubted(shipped):
    assert shipped.doubt("Ket qua cong tac tuyen truyen cai cach hanh chinh".split()) == (1.0, 1.0)  # stripped
    marked, bare = shipped.doubt("Kết quả công tác tuyên truyền cải cách hành chính quý I năm 2024".split())
    assert marked < 0.01 and bare < 0.01  # typed Vietnamese, or a Vietnamese engine on a good scan
    assert shipped.doubt("Két qua cong tac tuyén truyén cai cach hanh chinh quy I nim 2024".split())[0] == 1.0


GOOD_PAGE = ("Ủy ban nhân dân xã báo cáo kết quả công tác cải cách hành chính quý I năm 2024 như sau:\n"
             "1. Công tác chỉ đạo, điều hành: Ủy ban nhân dân xã đã ban hành kế hoạch cải cách hành chính, "
             "phân công nhiệm vụ cụ thể cho từng cán bộ, công chức.\n"
             "2. Công tác tuyên truyền: tổ chức tuyên truyền trên hệ thống loa truyền thanh của xã, "
             "niêm yết công khai thủ tục hành chính tại trụ sở.\n"
             "3. Tổ chức kiểm tra các cống qua đê, ngăn chặn kịp thời những hành vi vi phạm; "
             "nếu phương tiện vận tải bị kiểm tra mang hàng cấm thì lập biên bản.")


def test_a_page_written_right_comes_back_as_it_is(shipped):
    assert shipped.restore(GOOD_PAGE) == GOOD_PAGE  # `cống` the lexicon never saw, `đê` the trigram doubts
    unmoved = Restorer.from_pretrained(DEFAULT_MODEL, mark_doubt=1e9)  # the writing no evidence: the trigram's choice
    assert unmoved.restore(GOOD_PAGE) != GOOD_PAGE


def test_a_marked_syllable_the_corpus_hardly_holds_is_a_word_the_engine_misread(shipped):
    """On a page the engine read well, `tuối` (8 times in 71 million tokens) is its misreading of
    tuổi, and decoding chooses its form; `cống` (2,091 times), kept by the test above, is a word."""
    page = "\n".join(GOOD_PAGE.split("\n")[:3])
    assert shipped.restore(page + "\n3. Rà soát người cao tuối.") == page + "\n3. Rà soát người cao tuổi."
    assert not shipped.lexicon.attests("tuối") and shipped.lexicon.attests("cống")


def test_constrained_output_never_loses_or_invents_text(shipped):
    nasty = ["abc abc abc\nabc abc abc\n" * 3, "| 12 | 3.456 | 7,8 |\n| 90 | 1.2 | x |", "Kết quả đã có dấu",
             "quan quan quan quan quan quan quan quan quan quan quan quan"]
    for text, row in zip(nasty, shipped.decode(nasty, "skeleton")):
        assert len(row.text) == len(text)
        assert strip_diacritics(row.text) == strip_diacritics(text)
        assert len(row.confidence) == len(text)


def test_the_model_alone_keeps_the_text_between_its_chunks():
    """Without the prior nothing is settled, and the model decodes pieces of chunk_bytes."""
    text = "Uy ban nhan dan xa da ban hanh ke hoach tuyen truyen.\n- Luu: VT.\n" * 40
    restorer = Restorer.from_pretrained(DEFAULT_MODEL, prior_weight=0.0)
    (row,) = restorer.decode([text], "skeleton")
    assert len(text.encode()) > 2 * restorer.config.infer.chunk_bytes
    assert row.done and len(row.text) == len(text) and len(row.confidence) == len(text)
    assert strip_diacritics(row.text) == strip_diacritics(text)
    (restored, records), = restorer.review([text])
    assert restored.count("\n") == text.count("\n") and len(records) == len(text.split())


def test_review_gives_a_record_per_word(shipped):
    text = "Uy ban nhan dan xa\n\nso 12/QD-UBND 12/2024"
    restored, words = shipped.review([text])[0]
    assert [w["input"] for w in words] == text.split()
    assert " ".join(w["output"] for w in words) == " ".join(restored.split())
    assert all(0 < w["confidence"] <= 1 for w in words)
    assert words[-1]["confidence"] == 1.0  # a code with no letter to choose is forced
    json.dumps(words)
    # A word that can be no Vietnamese syllable is left as written, and flagged for a look.
    _, words = shipped.review(["Uy ban nhan dan xa Becky"])[0]
    assert words[-1] == {"input": "Becky", "output": "Becky", "confidence": None, "flag": "unknown word"}
    assert all(w["flag"] is None for w in words[:-1])


def test_free_generation_is_still_available(shipped):
    restored = shipped.restore("Uy ban nhan dan\n12 3", constraint="none")
    assert restored.endswith("\n12 3") and len(restored.split()) == 6


SURE = Lexicon({"nha": ["nhà"], "cua": ["của"], "ban": ["bán", "bàn"]},
               counts={"nhà": 100, "của": 100, "bán": 50, "bàn": 50})


def test_words_the_prior_is_sure_of_are_settled_and_the_rest_left_to_the_model():
    row = Row("nha cua nha cua ban nha cua nha cua nha", SURE, "skeleton", 1.0)
    # bán and bàn are equally likely: only the stretch around ban, 2 words each side, is left.
    (start, end, known), = stretches = row.settle(0.9, 2)
    assert stretches == [(8, 27, {0: ("nhà",), 4: ("của",), 8: ("bán", "bàn"), 12: ("nhà",), 16: ("của",)})]
    assert row.done and row.text == "nhà của nhà của bán nhà của nhà của nhà"  # a guess where the model decides
    part = Row(row.source[start:end], SURE, "skeleton", 1.0, known)
    assert [forms for _, _, forms in part.line.spans] == [("nhà",), ("của",), ("bán", "bàn"), ("nhà",), ("của",)]
    part.out, part.confidence = list("nhà của bàn nhà của"), [0.7] * 19  # as the model would decode it
    row.take(8, part)
    assert row.text == "nhà của nhà của bàn nhà của nhà của nhà"
    assert row.word_confidence() == [1.0] * 2 + [0.7] * 5 + [1.0] * 3
    # Near stretches merge; a syllable training never saw and an OCR misreading are left to the model too.
    assert [s[:2] for s in Row("ban nha ban nha nha nha nha nha", SURE, "skeleton", 1.0).settle(0.9, 2)] == [(0, 19)]
    assert [s[:2] for s in Row("nha nha nha xoan nha nha nha", SURE, "skeleton", 1.0).settle(0.9, 2)] == [(4, 24)]
    # a code: XYZ
    assert [s[:2] for s in Row("nha nha nha XYZ nha nha nha", SURE, "skeleton", 1.0).settle(0.9, 2)] == [(4, 23)]
    # A word that can be no syllable (OCR's garble, a foreign name) stays as written, without the model.
    garbled = Row("nha nha ho4c Becky nha", SURE, "skeleton", 1.0)
    assert garbled.settle(0.9, 2) == [] and garbled.text == "nhà nhà ho4c Becky nhà"
    assert [s[:2] for s in Row("nha nha nha nha 1 nha", SURE, "ocr", 1.0).settle(0.9, 2)] == [(8, 21)]
    assert Row("nha nha nha nha 1 nha", SURE, "skeleton", 1.0).settle(0.9, 2) == []  # a digit stays a digit
    # Without a prior, or sure only of certainty, the model reads everything.
    assert [s[:2] for s in Row("nha cua", SURE, "skeleton", 0.0).settle(0.9, 2)] == [(0, 7)]
    assert [s[:2] for s in Row("nha cua", SURE, "skeleton", 1.0).settle(1.0, 2)] == [(0, 7)]


def test_restorer_runs_the_model_only_where_the_prior_is_unsure(shipped):
    sure = "Co quan quan ly nha nuoc ve dat dai thuc hien theo quy dinh cua Luat nay."
    cfg = shipped.config.infer
    assert cfg.sure_prior < 1  # the shipped setting
    assert shipped.restore(sure) == "Cơ quan quản lý nhà nước về đất đai thực hiện theo quy định của Luật này."
    assert shipped.passes == 0
    assert shipped.restore("Kenic va Baltflot") == "Kenic và Baltflot"  # names that can be no syllable stay
    assert shipped.passes == 0
    shipped.restore("Ong Khoem den")  # a syllable the lexicon never saw
    assert shipped.passes > 0


def test_the_prior_reads_across_the_models_chunks(shipped, monkeypatch):
    sure = "Co quan quan ly nha nuoc ve dat dai thuc hien theo quy dinh cua Luat nay."
    monkeypatch.setattr(shipped.config.infer, "chunk_bytes", 24)
    # Every word keeps its neighbours as context, so none at a chunk's edge is left unsure.
    assert shipped.restore(sure) == "Cơ quan quản lý nhà nước về đất đai thực hiện theo quy định của Luật này."
    assert shipped.passes == 0
    inputs = []

    def recorded(session, rows):
        inputs.extend(session.mask.sum(1).tolist())
        return decode(session, rows)

    monkeypatch.setattr("vidiac.infer.restorer.decode", recorded)
    monkeypatch.setattr(shipped.config.infer, "sure_prior", 1.0)
    assert strip_diacritics(shipped.restore(sure)) == sure
    assert len(inputs) >= 3 and max(inputs) <= 24 + 1  # the model reads 24 bytes at most, and its eos


def test_a_line_that_is_not_vietnamese_is_left_as_it_is(shipped):
    english = ("The committee met on 3 May; see https://example.gov.vn for details. "
               "The quick brown fox jumps over the lazy dog.")
    out, records = shipped.review([english + "\nKet qua cong tac tuyen truyen cai cach hanh chinh quy I nam 2024"])[0]
    assert out == english + "\nKết quả công tác tuyên truyền cải cách hành chính quý I năm 2024"
    assert records[0] == {"input": "The", "output": "The", "confidence": None, "flag": "not Vietnamese"}
    assert records[-1]["flag"] is None
    assert shipped.restore("Theo Luat nay") == "Theo Luật này"  # a short line is never judged
    # Codes and words that may be syllables are Vietnamese; OCR's garbled words are not English.
    assert not any(shipped.foreign(Layout.of("Dieu 33.11.TT.3.11. Doanh thu TT Doanh thu TT", 200)))
    assert not any(shipped.foreign(Layout.of("Bectrend Be bbw hoe va Cond babe tinh Tha tenet Chiab phicphe", 200)))
    assert not any(shipped.foreign(Layout.of("Diego Costa tra dua Antonio Conte", 200)))  # names in Vietnamese


def test_list_items_are_lettered_in_the_vietnamese_alphabet(shipped):
    """d) is followed by đ) (Decree 30/2020/NĐ-CP), which stripped text and OCR without a
    Vietnamese model write as d): the items around it tell which it is."""
    items = "c) Thu hoi giay phep;\nd) Dinh chi hoat dong;\nd) Cac bien phap khac;\ne) Bao cao."
    out, records = shipped.review([items])[0]
    assert [line[:2] for line in out.splitlines()] == ["c)", "d)", "đ)", "e)"]
    assert [r["output"] for r in records if r["input"] == "d)"] == ["d)", "đ)"]
    assert [line[:2] for line in shipped.restore("C) THU HOI\nD) DINH CHI\nD) KHAC\nE) BAO CAO").splitlines()] == [
        "C)", "D)", "Đ)", "E)"]
    assert shipped.restore("Theo diem d) khoan 2").endswith("điểm d) khoản 2")  # inside a line: as written


def test_a_list_item_is_lettered_only_where_the_items_on_both_sides_tell():
    def letters(text):
        layout = Layout.of(text, 200)
        words = list(layout.words)
        lettered(layout, words, [False] * len(words))
        return [w for w in words if w.endswith(")")]
    assert letters("c) x\nd) x\nd) x\ne) x") == ["c)", "d)", "đ)", "e)"]
    assert letters("c) x\nđ) x\nđ) x\ne) x") == ["c)", "d)", "đ)", "e)"]
    assert letters("c) x\nđ) x") == ["c)", "đ)"]  # one side only
    assert letters("d) x\nd) x\nđ) x") == ["d)", "d)", "đ)"]  # they disagree
    assert letters("c) x\nd) x\n2. y\nd) x\ne) x") == ["c)", "d)", "d)", "e)"]  # a clause starts a new list
    assert letters("e) x\nø) x\nh) x\nd) x\n¡) x\nk) x") == ["e)", "g)", "h)", "d)", "¡)", "k)"]  # a symbol
    assert letters("h) x\n¡) x\nk) x") == ["h)", "i)", "k)"]
    assert letters("c) x\ne) x\ng) x") == ["c)", "e)", "g)"]  # a letter that is none of the two stays


def test_trigram_scores_are_kneser_ney_probabilities():
    lexicon = Lexicon({"co": ["có"], "quan": ["quan"], "ly": ["lý"]}, counts={"có": 60, "quan": 30, "lý": 10},
                      ngrams={("có", "quan"): 20, ("quan", "lý"): 6, ("có", "quan", "lý"): 5})
    d3 = Lexicon.TRIPLE_DISCOUNTS[2]  # the triple was seen 5 times
    # Distinct tokens before each pair, a line's start one of them: `có quan` 1, `quan lý` 2
    # (`có`, and a start: 6 pairs, 5 triples), so the pairs' discount is 1 / (1 + 2) (n1 = n2 = 1).
    # Before each token: `có` a start, `quan` `có` and a start, `lý` `quan` and a start: 1, 2, 2 of 5.
    spread = {"có": 1 / 5, "quan": 2 / 5, "lý": 2 / 5}
    d2 = 1 / 3
    after_quan = {t: (max((t == "lý") * 2 - d2, 0) + d2 * spread[t]) / 2 for t in spread}  # lý 0.9
    (table,) = lexicon.tables([(("có", None, "xyz"), ("quan", None, "xyz"), ("lý", "có", "xyz"))])
    assert table.shape == (3, 3, 3)
    # the counted triple, discounted; the rest spread as after `quan` alone
    assert table[0, 0].tolist() == pytest.approx([(5 - d3 + d3 * after_quan["lý"]) / 5,
                                                  d3 * after_quan["có"] / 5, 0.0])
    # nothing, or an unknown token, before `quan`
    assert table[1, 0].tolist() == table[2, 0].tolist() == pytest.approx([after_quan["lý"], after_quan["có"], 0])
    assert table[0, 1].tolist() == table[2, 1].tolist() == [10 / 100, 60 / 100, 0.0]  # a line's start: frequencies
    assert table[0, 2].tolist() == pytest.approx([spread["lý"], spread["có"], 0.0])  # after a token never counted
    assert sum(lexicon.follow(("có",), "quan", ("lý", "quan", "có"))[0]) == pytest.approx(1.0)
    assert lexicon.follow((None,), "quan", tuple(spread))[0] == pytest.approx(tuple(after_quan.values()))
    assert lexicon.tables([]) == [] and lexicon.count("có", "quan", "lý") == 5 and lexicon.count("quan", "có") == 0


def test_the_correctors_scores_back_off_from_triples_to_pairs_to_tokens():
    lexicon = Lexicon({"co": ["có"], "quan": ["quan"], "ly": ["lý"]}, counts={"có": 60, "quan": 30, "lý": 10},
                      ngrams={("có", "quan"): 20, ("quan", "lý"): 6, ("có", "quan", "lý"): 5})
    b = Lexicon.BACKOFF
    (table,) = lexicon.backoff_tables([(("có", None, "xyz"), ("quan", None, "xyz"), ("lý", "có", "xyz"))])
    assert table[0, 0].tolist() == pytest.approx([5 / 20, b * b * 60 / 100, 0.0])  # counted; twice backed off
    assert table[1, 0].tolist() == pytest.approx([6 / 30, b * 60 / 100, 0.0])  # nothing before `quan`: its pair
    assert table[2, 0].tolist() == pytest.approx([b * 6 / 30, b * b * 60 / 100, 0.0])  # a token never counted
    assert table[0, 1].tolist() == [10 / 100, 60 / 100, 0.0]  # start of a line: the tokens alone
    assert table[0, 2].tolist() == pytest.approx([b * b * 10 / 100, b * b * 60 / 100, 0.0])


def test_trigram_probabilities_sum_to_one_over_the_tokens_in_every_context():
    lines = [line.split() for line in ["cơ quan quản lý nhà nước về đất đai", "cơ quan nhà nước quản lý đất đai",
                                       "quản lý nhà nước về giáo dục", "nhà nước quản lý", "cơ quan về nhà"]]
    counts = Counter(t for line in lines for t in line)
    ngrams = Counter(g for line in lines for n in (2, 3) for g in zip(*(line[k:] for k in range(n))))
    ngrams.update({g: 1 for g in list(ngrams)[::3]})  # some seen twice
    lexicon = Lexicon({strip_diacritics(t): [t] for t in counts}, counts=dict(counts), ngrams=dict(ngrams))
    vocab = tuple(lexicon.vocab)
    for first, second in [("cơ", "quan"), ("quan", "quản"), ("về", "quản"), ("xyz", "nhà"), (None, "lý"),
                          ("nhà", "xyz"), (None, None)]:
        (table,) = lexicon.tables([((first,), (second,), vocab)])
        assert table.sum() == pytest.approx(1.0), (first, second)
        # with OCR's misread tokens mixed in, as likely after anything as they are frequent
        (noisy,) = lexicon.tables([((first,), (second,), vocab)], noise=0.3)
        frequency = np.array([counts[t] for t in vocab]) / sum(counts.values())
        assert noisy[0, 0] == pytest.approx(0.7 * table[0, 0] + 0.3 * frequency), (first, second)
