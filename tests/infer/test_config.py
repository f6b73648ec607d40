from pathlib import Path

import pytest

from vidiac.infer.config import CONFIG_NAME, Config, ConfigError, from_dict, load_config

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_loads_and_round_trips(path, tmp_path):
    cfg = load_config(path)
    cfg.save(tmp_path)
    assert load_config(tmp_path) == cfg
    assert load_config(tmp_path / CONFIG_NAME).to_dict() == cfg.to_dict()


def test_shipped_configs_cover_every_size():
    assert {p.stem for p in CONFIGS} >= {"tiny", "small", "base", "byt5-small"}


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  lerning_rate: 0.1\n")
    with pytest.raises(ConfigError, match=r"unknown key train\.lerning_rate; did you mean 'learning_rate'"):
        load_config(path)


def test_unknown_section_is_rejected():
    with pytest.raises(ConfigError, match="unknown key optimizer"):
        from_dict({"optimizer": {"lr": 1}})


def test_wrong_type_is_rejected():
    with pytest.raises(ConfigError, match=r"model\.d_model: expected int"):
        from_dict({"model": {"d_model": "big"}})


def test_overrides_are_parsed_as_yaml_and_checked(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  d_model: 64\n")
    cfg = load_config(path, ["train.max_steps=7", "model.init_from=null", "train.corpora=[{path: a.txt}]"])
    assert cfg.train.max_steps == 7 and cfg.model.d_model == 64 and cfg.train.corpora[0].path == "a.txt"
    with pytest.raises(ConfigError, match="unknown key train.max_stepz"):
        load_config(path, ["train.max_stepz=7"])
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(path, ["train.max_steps"])


def test_defaults_apply_to_missing_keys():
    assert from_dict({}) == Config()


def test_missing_and_malformed_files_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "x.yaml").write_text("model: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "x.yaml")


@pytest.mark.parametrize("override, message", [("infer.sure_prior=0", "sure_prior"),
                                               ("infer.sure_prior=1.5", "sure_prior"),
                                               ("infer.context_words=1", "context_words"),
                                               ("infer.prior_bytes=100", "prior_bytes"),
                                               ("infer.sure_correction=0", "sure_correction"),
                                               ("infer.ocr_severity=-1", "ocr_severity")])
def test_inference_settings_out_of_range_are_named(tmp_path, override, message):
    path = tmp_path / "c.yaml"
    path.write_text("infer:\n  batch_size: 4\n")
    with pytest.raises(ConfigError, match=rf"infer\.{message}: expected"):
        load_config(path, [override])
