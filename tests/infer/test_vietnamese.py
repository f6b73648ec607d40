from vidiac.infer.vietnamese import normalize, set_tone_style, strip_diacritics


def test_strip_removes_every_mark_and_keeps_the_rest():
    assert strip_diacritics("Kết quả công tác ĐẢNG ỦY xã 2024, UBND!") == "Ket qua cong tac DANG UY xa 2024, UBND!"


def test_normalize_composes_combining_marks():
    assert normalize("ke\u0302\u0300") == "kề"


def test_tone_styles_move_marks_only_in_open_oa_oe_uy():
    modern = "hoà bình, thuỷ lợi, khoẻ, HOÀ, quý, hoàn thành, khuya, thuyền"
    traditional = "hòa bình, thủy lợi, khỏe, HÒA, quý, hoàn thành, khuya, thuyền"
    assert set_tone_style(modern, "traditional") == traditional
    assert set_tone_style(traditional, "modern") == modern
    assert set_tone_style(modern, "keep") == modern
