import json
import shutil

from tests.conftest import FIXTURE

from vidiac.infer.config import Corpus, load_config
from vidiac.infer.lexicon import Lexicon
from vidiac.train.corpus import split_of
from vidiac.train.lexicon import build_lexicon, main


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


def test_forms_and_neighbouring_pairs_and_triples_are_counted_and_saved(tmp_path):
    texts = ["Cơ quan quản lý nhà nước.\nCơ quan, quản lý"] * 3 + ["năm 2024 cơ quan"]
    lexicon = build_lexicon(texts, min_count=2, min_pair=3, min_triple=3)
    assert lexicon.counts["cơ"] == 7 and lexicon.counts["quản"] == 6 and "2024" not in lexicon.counts
    # pairs and triples run across punctuation but not across lines; digits are words for them
    assert lexicon.pairs == {"cơ": {"quan": 7}, "quan": {"quản": 6}, "quản": {"lý": 6}, "lý": {"nhà": 3},
                             "nhà": {"nước": 3}}
    assert lexicon.triples == {"cơ quan": {"quản": 6}, "quan quản": {"lý": 6}, "quản lý": {"nhà": 3}, "lý nhà": {"nước": 3}}
    assert build_lexicon(texts, min_pair=1).pairs["2024"] == {"cơ": 1}
    assert build_lexicon(texts, min_triple=1).triples["năm 2024"] == {"cơ": 1}
    lexicon.save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["lexicon.json.gz"]
    again = Lexicon.load(tmp_path)
    assert (again.forms, again.counts, again.pairs, again.triples, again.total) == (
        lexicon.forms, lexicon.counts, lexicon.pairs, lexicon.triples, 32)


def test_a_lexicon_written_before_the_triples_still_loads(tmp_path):
    (tmp_path / "lexicon.json").write_text(json.dumps({"forms": {"co": ["có", "cơ"]}, "counts": {"có": 5, "cơ": 2},
                                                       "pairs": {"có": {"cơ": 3}}}), encoding="utf-8")
    old = Lexicon.load(tmp_path)
    assert (old.forms, old.pairs, old.triples, old.total) == ({"co": ["có", "cơ"]}, {"có": {"cơ": 3}}, {}, 7)
    old.save(tmp_path)  # rewritten in the new format, the old file removed so it cannot shadow nor linger
    assert [p.name for p in tmp_path.iterdir()] == ["lexicon.json.gz"]


def test_a_model_lexicon_is_recounted_from_its_training_split_only(tiny_model, tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    cfg = load_config(model)
    tc = cfg.train
    # Made-up words, so that a count can only come from these lines: one train line, one held out.
    lines = {}
    for i in range(10_000):
        word = "".join("bcdghklmnpqrstvx"[(i >> (4 * k)) % 16] + "aeiou"[k] for k in range(4))
        line = f"{word} {word} {word}"
        lines.setdefault(split_of(line, tc.dev_per_mille, tc.test_per_mille) == "train", (word, line))
        if len(lines) == 2:
            break
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join([lines[True][1], lines[False][1], FIXTURE.read_text(encoding="utf-8")]), encoding="utf-8")
    cfg.train.corpora = [Corpus(str(corpus))]
    cfg.save(model)
    assert main([str(model), "--lines", "300"]) == 0
    lexicon = Lexicon.load(model)
    assert lexicon.counts[lines[True][0]] == 3 and lines[False][0] not in lexicon.counts
    assert lexicon.pairs and "word pairs" in capsys.readouterr().out
