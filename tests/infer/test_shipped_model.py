"""The shipped default model: complete, small files, and restores the bundled sample."""
import subprocess
import sys
from pathlib import Path

import torch
from transformers import ByT5Tokenizer, T5ForConditionalGeneration

from vidiac.infer import Restorer
from vidiac.infer.restorer import DEFAULT_MODEL, check_model_dir
from vidiac.infer.vietnamese import set_tone_style
from vidiac.train.metrics import word_accuracy

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# The stripped sample itself scores 0.176; the shipped model, decoding constrained to the
# lexicon's forms, 0.982 with the lexicon's token-trigram prior and 0.860 alone (prior_weight 0).
# A regression in the model, the lexicon or decoding falls below these.
ACCURACY_FLOOR = 0.97
MODEL_ALONE_FLOOR = 0.82


def test_shipped_model_is_complete_and_sharded_small():
    check_model_dir(DEFAULT_MODEL)
    assert list(DEFAULT_MODEL.glob("*.safetensors"))
    assert all(p.stat().st_size <= 15 * 1024 * 1024 for p in DEFAULT_MODEL.iterdir())  # the lexicon too
    assert (DEFAULT_MODEL / "README.md").is_file()


def test_shipped_model_restores_the_sample_report():
    source = (SAMPLES / "bao-cao-xa.txt").read_text(encoding="utf-8")
    reference = (SAMPLES / "bao-cao-xa.ref.txt").read_text(encoding="utf-8")
    restorer = Restorer.from_pretrained()
    restored = restorer.restore(source)
    assert restored.count("\n") == source.count("\n")
    assert restored.split("\n")[0] == restored.split("\n")[0].upper()
    assert word_accuracy([restored], [reference]) > ACCURACY_FLOOR
    restorer.config.infer.prior_weight = 0.0
    assert word_accuracy([restorer.restore(source)], [reference]) > MODEL_ALONE_FLOOR


def test_the_quick_start_command_restores_the_sample_in_either_tone_style():
    """The README's `vidiac-restore samples/bao-cao-xa.txt`, as installed, and its `--tone-style modern`."""
    command = [str(Path(sys.executable).parent / "vidiac-restore"), str(SAMPLES / "bao-cao-xa.txt")]
    traditional = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    modern = subprocess.run(command + ["--tone-style", "modern"], capture_output=True, text=True, check=True).stdout
    reference = (SAMPLES / "bao-cao-xa.ref.txt").read_text(encoding="utf-8")
    assert word_accuracy([traditional], [reference]) > ACCURACY_FLOOR
    assert "Ủy ban" in traditional and "Uỷ ban" in modern
    assert modern == set_tone_style(traditional, "modern")


def test_the_restorer_computes_what_was_trained():
    """Restorer loads GELU as one fused kernel; the model as saved uses six ops for the same function."""
    restorer = Restorer.from_pretrained()
    saved = T5ForConditionalGeneration.from_pretrained(DEFAULT_MODEL).eval()
    batch = ByT5Tokenizer()(["Ket qua cong tac tuyen truyen quy I nam 2024"], return_tensors="pt")
    labels = ByT5Tokenizer()(["Kết quả công tác tuyên truyền quý I năm 2024"], return_tensors="pt").input_ids
    with torch.inference_mode():
        fused, plain = (m(**batch, labels=labels).logits for m in (restorer.backend.model, saved))
    assert type(restorer.backend.model.encoder.block[0].layer[1].DenseReluDense.act) is not type(
        saved.encoder.block[0].layer[1].DenseReluDense.act)
    torch.testing.assert_close(fused, plain, rtol=0, atol=1e-4)
