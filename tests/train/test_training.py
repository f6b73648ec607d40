import os
import re
import subprocess
import sys

import pytest

from tests.conftest import FIXTURE, ROOT, TINY, tiny_config
from vidiac.infer import Restorer, load_config
from vidiac.infer.lexicon import Lexicon
from vidiac.infer.restorer import check_model_dir
from vidiac.infer.vietnamese import set_tone_style
from vidiac.train.run import main, train


def test_tiny_model_trains_saves_and_restores(tiny_model):
    check_model_dir(tiny_model)
    assert load_config(tiny_model).model.d_model == 32
    shards = list(tiny_model.glob("*.safetensors"))
    assert shards and all(p.stat().st_size <= 15_000_000 for p in shards)
    card = (tiny_model / "README.md").read_text(encoding="utf-8")
    assert "word_accuracy" in card and "latin_ocr 0.7" in card and "insert_delete 0.5" in card
    assert "strip_some_rate" not in card  # rates are the config's detail, not the mix
    forms = [f for fs in Lexicon.load(tiny_model).forms.values() for f in fs]  # counted from the training split
    assert forms and all(set_tone_style(f, "traditional") == f for f in forms)  # placed as the targets are (hòa)
    text = "UY BAN NHAN DAN xa\n\n  Hoa Binh 2024  "
    restored = Restorer.from_pretrained(tiny_model).restore(text)
    # an untrained model writes nonsense, but never loses a line, a number or a space
    assert re.split(r"\S+", restored) == re.split(r"\S+", text)
    assert restored.split()[-1] == "2024" and all(w.isupper() for w in restored.split()[:4])


def test_training_resumes_and_fine_tunes_from_a_saved_model(tiny_model, tmp_path):
    fitted = ROOT / "configs" / "ocr" / "tesseract-eng.json"
    cfg = tiny_config(tmp_path, f"model.init_from={tiny_model}", "train.max_steps=2", "train.save_steps=1",
                      f"noise.fitted_ocr_models=['{fitted}']")
    metrics = train(cfg, tmp_path)
    assert "eval_word_accuracy" in metrics
    # the engines it was given to learn are the ones its directory corrects
    assert "của" in Restorer.from_pretrained(tmp_path).corrector.candidates("cia")[0]
    assert "## OCR correction" in (tmp_path / "README.md").read_text(encoding="utf-8")
    cfg = tiny_config(tmp_path, f"model.init_from={tiny_model}", "train.max_steps=4", "train.save_steps=1")
    train(cfg, tmp_path, resume=True)
    assert (tmp_path / "checkpoints" / "checkpoint-4").is_dir()
    Restorer.from_pretrained(tmp_path).restore("xa")


def test_cli_rejects_a_misspelt_key(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(TINY), "--set", "train.max_stpes=3"])
    assert exit_.value.code == 2 and "did you mean 'max_steps'" in capsys.readouterr().err


def test_two_process_distributed_run(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
           "-m", "vidiac.train.run", str(TINY), "-o", str(tmp_path),
           "--set", f"train.corpora=[{{path: '{FIXTURE}'}}]", "--set", "train.max_steps=3"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    check_model_dir(tmp_path)
    assert "'eval_word_accuracy'" in proc.stdout
