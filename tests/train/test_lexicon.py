import json
import random
import shutil

import numpy as np
import pytest

from tests.conftest import FIXTURE

from vidiac.infer.config import Corpus, load_config
from vidiac.infer.lexicon import Lexicon
from vidiac.train.corpus import split_of
from vidiac.train.lexicon import build_lexicon, gazetteer_lines, main


def test_forms_are_counted_most_frequent_first_and_typos_dropped(tmp_path):
    texts = ["Quản lý quân đội, quan hệ."] * 3 + ["quản lý"] * 5 + ["quôc"] + ["quốc"] * 400 + ["quôc"]
    lexicon = build_lexicon(texts, min_count=2, min_share=0.01)
    assert lexicon.forms["quan"] == ["quản", "quan", "quân"]  # ties in alphabetical order
    assert lexicon.forms["quoc"] == ["quốc"]  # 2 sightings beside 400: a typo
    lexicon.save(tmp_path)
    assert Lexicon.load(tmp_path).forms == lexicon.forms
    assert Lexicon.load(tmp_path / "missing").forms == {}


def test_a_form_seen_once_is_not_a_word():
    assert build_lexicon(["hôm nay", "hôm qua"]).forms == {"hom": ["hôm"]}


def test_tokens_and_neighbouring_pairs_and_triples_are_counted_and_saved(tmp_path):
    texts = ["Cơ quan quản lý nhà nước.\nCơ quan, quản lý"] * 3 + ["năm 2024 cơ quan"]
    lexicon = build_lexicon(texts, min_count=2)
    assert lexicon.count("cơ") == 7 and lexicon.count("quản") == 6 and lexicon.count("2024") == 1
    # Punctuation marks are tokens; pairs and triples do not cross lines.
    assert lexicon.count("cơ", "quan") == 7 and lexicon.count("quan", ",") == 3 and lexicon.count(",", "quản") == 3
    assert lexicon.count("quan", "quản") == 3 and lexicon.count("nước", ".") == 3 and lexicon.count(".", "cơ") == 0
    assert lexicon.count("cơ", "quan", "quản") == 3 and lexicon.count("quan", ",", "quản") == 3
    assert lexicon.count("năm", "2024", "cơ") == 1 and lexicon.count("2024", "cơ", "quan") == 1
    assert lexicon.count("lý", "cơ") == 0 and lexicon.count("nhà", "nước", ".", "cơ") == 0
    assert lexicon.forms == {"co": ["cơ"], "quan": ["quan", "quản"], "ly": ["lý"], "nha": ["nhà"], "nuoc": ["nước"]}
    assert lexicon.total == 3 * 12 + 4
    pruned = build_lexicon(texts, min_ngram=2)
    assert pruned.count("năm", "2024") == 0 and pruned.count("cơ", "quan", "quản") == 3 and pruned.count("năm") == 1
    lexicon.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lexicon-triples.npz", "lexicon.npz"]
    again = Lexicon.load(tmp_path)
    assert (again.vocab, again.forms, again.total) == (lexicon.vocab, lexicon.forms, lexicon.total)
    for ours, theirs in [(again.counts, lexicon.counts), (again.pair_keys, lexicon.pair_keys),
                         (again.pair_counts, lexicon.pair_counts), (again.triple_keys, lexicon.triple_keys),
                         (again.triple_counts, lexicon.triple_counts)]:
        assert ours.dtype == theirs.dtype and ours.tolist() == theirs.tolist()


def test_triples_over_the_file_limit_are_sharded_and_read_back(tmp_path):
    rng = random.Random(0)
    words = [f"t{i}" for i in range(400)]
    lexicon = build_lexicon([" ".join(rng.choice(words) for _ in range(30)) for _ in range(300)], min_ngram=1)
    lexicon.save(tmp_path, max_file_bytes=5_000)
    shards = sorted(p.name for p in tmp_path.glob("lexicon-triples*"))
    assert len(shards) > 1 and shards[0] == f"lexicon-triples-00001-of-{len(shards):05d}.npz"
    assert all(p.stat().st_size <= 5_000 for p in tmp_path.glob("lexicon-triples*"))
    again = Lexicon.load(tmp_path)
    assert again.triple_keys.tolist() == lexicon.triple_keys.tolist()
    assert again.triple_counts.tolist() == lexicon.triple_counts.tolist()
    assert again.count(*lexicon.vocab[:1]) == lexicon.count(*lexicon.vocab[:1])
    lexicon.save(tmp_path)  # under the limit: one file again, no shard left behind
    assert sorted(p.name for p in tmp_path.glob("lexicon-triples*")) == ["lexicon-triples.npz"]
    big = tmp_path / "big"
    big.mkdir()
    lexicon.save(big, max_file_bytes=5_000)
    (big / shards[-1]).unlink()
    with pytest.raises(ValueError, match="expected"):
        Lexicon.load(big)


def test_an_empty_lexicon_saves_and_loads(tmp_path):
    Lexicon({}).save(tmp_path)
    empty = Lexicon.load(tmp_path)
    assert (empty.forms, empty.total, empty.candidates("co", "skeleton")) == ({}, 0, ())


def test_a_lexicon_of_an_older_vidiac_is_a_clear_error(tmp_path):
    (tmp_path / "lexicon.json.gz").write_bytes(b"")
    with pytest.raises(ValueError, match="older vidiac's format .*recount it: python -m vidiac.train.lexicon"):
        Lexicon.load(tmp_path)


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
    corpus.write_text("\n".join([lines[True][1], lines[False][1], FIXTURE.read_text(encoding="utf-8")]),
                      encoding="utf-8")
    cfg.train.corpora = [Corpus(str(corpus))]
    cfg.save(model)
    assert main([str(model), "--lines", "300"]) == 0
    lexicon = Lexicon.load(model)
    assert lexicon.count(lines[True][0]) == 3 and lexicon.count(lines[False][0]) == 0
    assert (lexicon.count(lines[True][0], lines[True][0], lines[True][0]) == 1
            and "token pairs" in capsys.readouterr().out)
    cfg.train.gazetteers = [str(tmp_path / "missing.json")]  # a gazetteer that is not there is named
    cfg.save(model)
    with pytest.raises(SystemExit) as exit_:
        main([str(model), "--lines", "300"])
    assert exit_.value.code == 2 and "train.gazetteers: " in capsys.readouterr().err


def test_gazetteer_names_are_counted_in_the_phrases_documents_write_them_in(tmp_path):
    flat = tmp_path / "flat-divisions.json"
    flat.write_text(json.dumps([{"name": "Xã  Ba Bích", "province_name": "Tỉnh Bắc Ninh"}], ensure_ascii=False),
                    encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"ward_mapping": [
        {"old_ward": "Xã Ba Bích", "old_district": "Huyện Yên Dũng", "old_province": "Tỉnh Bắc Giang",
         "new_ward": "Xã Ba Bích", "new_province": "Tỉnh Bắc Ninh"},
        {"old_ward": "", "old_district": "Huyện Yên Dũng", "old_province": "Tỉnh Bắc Giang",
         "new_ward": "Xã Đồng Việt", "new_province": "Tỉnh Bắc Ninh"}]}, ensure_ascii=False), encoding="utf-8")
    lines = list(gazetteer_lines(str(flat)))
    assert lines[:4] == ["xã Ba Bích", "UBND xã Ba Bích", "Ủy ban nhân dân xã Ba Bích", "XÃ BA BÍCH"]
    assert "xã Ba Bích, tỉnh Bắc Ninh" in lines
    old = list(gazetteer_lines(str(mapping)))
    assert "xã Ba Bích, huyện Yên Dũng, tỉnh Bắc Giang" in old and "huyện Yên Dũng, tỉnh Bắc Giang" in old
    assert len(old) == len(set(old)) and "" not in old  # each phrase once; a missing unit is skipped
    lexicon = build_lexicon(lines, min_count=1)
    assert lexicon.forms["bich"] == ["bích"] and lexicon.count("ba", "bích") == 5


def test_a_weighted_text_counts_its_ngrams_that_many_times_but_its_forms_once():
    lexicon = build_lexicon([("quản lý nhà nước", 3), "quản lý", ("quôc", 2)])
    assert lexicon.count("quản", "lý") == 4 and lexicon.count("quản", "lý", "nhà") == 3 and lexicon.count("quản") == 4
    assert "quôc" not in lexicon.forms.get("quoc", [])  # seen once, however much it weighs


def test_a_word_is_attested_where_the_text_holds_it_more_than_a_typo_would_be():
    # Of ten million tokens, more than 3 (ATTESTED): `quôc` twice is a typo, `hoà` five times a word.
    lexicon = Lexicon({"quoc": ["quốc"]}, {"quốc": 10_000_000, "quôc": 2, "hòa": 5})
    assert lexicon.attests("hòa") and lexicon.attests("hoà")  # either tone placement
    assert not lexicon.attests("quôc") and not lexicon.attests("quóc")
    assert Lexicon({"quoc": ["quốc"]}, {"quốc": 1000}).attests("quóc")  # too little text to tell


def test_the_counts_kneser_ney_reads_at_load_are_saved_and_found_again_without_them(tmp_path):
    texts = ["Cơ quan quản lý nhà nước.\nCơ quan, quản lý"] * 3 + ["năm 2024 cơ quan quản lý"]
    built = build_lexicon(texts, min_count=2)
    built.save(tmp_path)
    saved = Lexicon.load(tmp_path)
    with np.load(tmp_path / "lexicon.npz") as arrays:  # as an older vidiac wrote it
        older = {name: arrays[name] for name in arrays.files if name != "pair_left"}
    np.savez_compressed(tmp_path / "lexicon.npz", **older)
    pair = built.pair_keys.tolist().index(built._key(built.ids["cơ"], built.ids["quan"]))
    for lexicon in (saved, Lexicon.load(tmp_path)):
        assert lexicon.left_types.tolist() == built.left_types.tolist() and lexicon.discount == built.discount
        assert lexicon.left_types[pair] == 2  # after `2024`, and at a line's start
