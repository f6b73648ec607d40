from vidiac.infer.vietnamese import (is_syllable, may_be_syllable, normalize, normalize_input, set_tone_style,
                                     strip_diacritics)


def test_strip_removes_every_mark_and_keeps_the_rest():
    assert strip_diacritics("Kết quả công tác ĐẢNG ỦY xã 2024, UBND!") == "Ket qua cong tac DANG UY xa 2024, UBND!"


def test_normalize_composes_combining_marks():
    assert normalize("ke\u0302\u0300") == "kề"


def test_the_restorer_reads_a_capital_eth_as_the_d_it_stands_for():
    assert normalize_input("Ðiều 5. Ð) ðó") == "Điều 5. Đ) ðó"  # as OCR engines and old fonts print Đ; ð may be ô
    assert normalize("Ðiều") == "Ðiều"  # the corpus as it is: its split does not move


def test_tone_styles_move_marks_only_in_open_oa_oe_uy():
    modern = "hoà bình, thuỷ lợi, khoẻ, HOÀ, quý, hoàn thành, khuya, thuyền"
    traditional = "hòa bình, thủy lợi, khỏe, HÒA, quý, hoàn thành, khuya, thuyền"
    assert set_tone_style(modern, "traditional") == traditional
    assert set_tone_style(traditional, "modern") == modern
    assert set_tone_style(modern, "keep") == modern


def test_one_grammar_of_syllables_as_written_and_without_marks():
    words = "nghiêng Người khuấy quyết giường thuở hoạch huỳnh xoong ạ"
    assert all(map(is_syllable, words.split()))
    assert not any(map(is_syllable, "fữr grưße examplẹcom đ hóà and with bỏnh".split()))
    # Without marks, the same shapes: every syllable's letters pass, and what no mark can make one fails.
    assert all(map(may_be_syllable, strip_diacritics(words).split() + "thuc hoa DANG".split()))
    assert not any(map(may_be_syllable, "thyc myc committee see dog hil Quilc".split()))
