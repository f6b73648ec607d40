import pytest

from vidiac.train.metrics import (aligned_chars, category_accuracy, cer, diacritic_error_rate, left_as_input,
                                  right_words_changed, scores,
                                  token_categories, token_hits, word_accuracy)

GOLD = "Ủy ban nhân dân xã Hòa Bình"


def never_rare(word):
    return False


def test_word_accuracy_folds_tone_placement_and_nfc_but_not_case():
    assert word_accuracy(["Ủy ban nhân dân xã Hoà Bình"], [GOLD]) == 1.0
    decomposed = "U\u0309y ban nhân dân xã Hòa Bình"  # combining hook above
    assert word_accuracy([decomposed], [GOLD]) == 1.0
    assert word_accuracy(["ủy ban nhân dân xã hòa bình"], [GOLD]) == pytest.approx(1 - 3 / 7)
    assert word_accuracy(["ủy ban nhân dân xã hòa bình"], [GOLD], ignore_case=True) == 1.0


def test_cer_counts_character_edits_per_reference_character():
    assert cer(["abcd"], ["abxd"]) == 0.25
    assert cer(["hoà"], ["hòa"]) == 0.0


def test_diacritic_error_rate_counts_wrong_marks_on_alignable_letters_only():
    # 10 letters that can carry a mark (Ủ y a â d â ã ò a ì); "xa" has the wrong mark on a.
    assert diacritic_error_rate(["Ủy ban nhân dân xa Hòa Bình"], [GOLD]) == pytest.approx(1 / 10)
    # Case is not a diacritic error; a letter replaced by another base is not alignable.
    assert diacritic_error_rate(["ỦY BAN NHÂN DÂN XÃ HÒA BÌNH"], [GOLD]) == 0.0
    assert diacritic_error_rate(["Ủy bon nhân dân xã Hòa Bình"], [GOLD]) == 0.0
    # đ is a marked d; tone placement is folded.
    assert diacritic_error_rate(["dang"], ["đang"]) == pytest.approx(1 / 2)
    assert diacritic_error_rate(["hoà"], ["hòa"]) == 0.0


def test_aligned_chars_pairs_substitutions_and_skips_insertions_and_deletions():
    assert list(aligned_chars("hoa", "hòa")) == [("h", "h"), ("ò", "o"), ("a", "a")]
    assert list(aligned_chars("ha", "hòa")) == [("h", "h"), ("a", "a")]
    assert list(aligned_chars("hooa", "hoa")) == [("h", "h"), ("o", "o"), ("a", "a")]


def test_token_hits_marks_each_reference_word_kept_by_the_alignment():
    assert token_hits("Ủy ban nhan dân xã", "Ủy ban nhân dân xã") == [True, True, False, True, True]
    assert token_hits("Ủy dân", "Ủy ban dân") == [True, False, True]
    assert token_hits("Ủy thêm ban", "Ủy ban") == [True, True]


def test_token_categories():
    text = ("ỦY BAN NHÂN DÂN TỈNH 12\n"
            "Căn cứ Luật số 32/2004/QH11 của UBND tỉnh Hòa Bình. Điều này ghi ngoằn ngoèo")
    cats = token_categories(text, lambda w: w in {"ngoằn", "ngoèo"})
    words = text.split()
    by_word = dict(zip(words, cats))
    assert all(c == {"uppercase lines"} for c in cats[:4])
    assert cats[5] == {"uppercase lines", "numbers and codes"}  # 12
    assert by_word["Căn"] == set()  # starts the line
    assert by_word["Luật"] == {"names"}
    assert by_word["32/2004/QH11"] == by_word["UBND"] == {"numbers and codes"}
    assert by_word["Hòa"] == by_word["Bình."] == {"names"}
    assert by_word["Điều"] == set()  # starts a sentence
    assert by_word["ngoằn"] == by_word["ngoèo"] == {"rare syllables"}
    assert by_word["tỉnh"] == by_word["của"] == set()
    assert len(cats) == len(token_hits(text, text))


def test_category_accuracy_counts_hits_and_words_per_category():
    gold = "Ông Nguyễn Văn An, UBND xã 12"
    pred = "Ông Nguyen Văn An, UBND xa 12"
    acc = category_accuracy([pred], [gold], never_rare)
    assert acc["names"] == (2, 3)
    assert acc["numbers and codes"] == (2, 2)
    assert acc["uppercase lines"] == (0, 0)
    assert category_accuracy([pred], [gold], lambda w: w == "xã")["rare syllables"] == (0, 1)


def test_scores_has_every_metric():
    assert scores([GOLD], [GOLD]) == {"word_accuracy": 1.0, "word_accuracy_nocase": 1.0, "cer": 0.0,
                                      "diacritic_error_rate": 0.0}


def test_wrong_words_left_as_input_and_right_words_changed_are_counted():
    reference = "Ủy ban nhân dân xã Ba Bích"
    source = "Jy ban nhân dân xa Ba Bích"  # two wrong words
    prediction = "Jy ban nhân dân xã Bà Bích"  # one left as the input wrote it, one right word changed
    assert left_as_input([prediction], [source], [reference]) == (1, 2)
    assert right_words_changed([prediction], [source], [reference]) == (1, 5)
    assert right_words_changed([source], [source], [reference]) == (0, 5)
    assert left_as_input([reference], [source], [reference]) == (0, 0)
