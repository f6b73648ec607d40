from vidiac.infer.lexicon import Lexicon
from vidiac.train.lexicon import build_lexicon


def test_forms_are_counted_most_frequent_first_and_typos_dropped(tmp_path):
    texts = ["Quản lý quân đội, quan hệ."] * 3 + ["quản lý"] * 5 + ["quôc"] + ["quốc"] * 400 + ["quôc"]
    lexicon = build_lexicon(texts, min_count=2, min_share=0.01)
    assert lexicon.forms["quan"] == ["quản", "quân", "quan"]
    assert lexicon.forms["quoc"] == ["quốc"]  # 2 sightings beside 400: a typo
    lexicon.save(tmp_path)
    assert Lexicon.load(tmp_path).forms == lexicon.forms
    assert Lexicon.load(tmp_path / "missing").forms == {}


def test_a_form_seen_once_is_not_a_word():
    assert build_lexicon(["hôm nay", "hôm qua"]).forms == {"hom": ["hôm"]}
