"""vidiac-export: each export is written by the CLI, loads, restores, and agrees with PyTorch greedy."""
import re

import numpy as np
import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from vidiac.infer import Restorer
from vidiac.infer.export import main
from vidiac.infer.restorer import ModelDirError
from vidiac.infer.runtimes import load_export

# Short: the tiny model never ends a sequence, so each costs its whole length budget in decoder steps.
CHUNKS = ["UY BAN NHAN DAN", "Ket qua cong tac 2024", "so 12/2024/QD-UBND", "a"]
DOCUMENT = "UY BAN NHAN DAN\n\nxa Hoa Binh  2024\n"


def _export(model, out, *args):
    assert main([str(model), "-o", str(out), *args]) == 0
    return out


@pytest.fixture(scope="module")
def onnx_dir(tiny_model, tmp_path_factory):
    return _export(tiny_model, tmp_path_factory.mktemp("export") / "onnx", "--format", "onnx")


@pytest.fixture(scope="module")
def pytorch(tiny_model):
    return Restorer.from_pretrained(tiny_model)


def _layout(text):
    return re.split(r"\S+", text)


def test_hf_directory_loads_with_auto_classes(tiny_model, pytorch):
    # transformers 5 removed the text2text-generation pipeline; the Auto classes are what other tools load.
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_model).eval()
    batch = tokenizer(CHUNKS, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = model.generate(**batch, do_sample=False, num_beams=1, max_length=2 * batch.input_ids.shape[1] + 8)
    assert tokenizer.batch_decode(out, skip_special_tokens=True) == pytorch.generate(CHUNKS)


def test_onnx_export_matches_pytorch_greedy(onnx_dir, pytorch):
    assert {"encoder.onnx", "decoder.onnx", "vidiac.yaml"} <= {p.name for p in onnx_dir.iterdir()}
    restorer = load_export(onnx_dir)
    assert restorer.generate(CHUNKS) == pytorch.generate(CHUNKS)
    restored = restorer.restore(DOCUMENT)  # exports generate freely, as PyTorch with constraint none
    assert restored == pytorch.restore(DOCUMENT, constraint="none") and _layout(restored) == _layout(DOCUMENT)


def test_onnx_decoder_reads_several_tokens_at_once(onnx_dir):
    # One pass over a whole sequence gives the logits of one step per token, cache and all.
    backend = load_export(onnx_dir).backend
    ids = np.array([[85, 88, 35, 69, 100, 1]], np.int64)
    mask = np.ones_like(ids)
    hidden, *cross = backend.encoder.run(None, {"input_ids": ids, "attention_mask": mask})
    tokens = np.array([[0, 88, 67, 35]], np.int64)
    empty = [np.zeros((1, c.shape[1], 0, c.shape[3]), np.float32) for c in cross]
    whole, *_ = backend.decoder.run(None, dict(zip(backend.decoder_inputs, [tokens, mask, hidden, *cross, *empty])))
    past, steps = empty, []
    for t in range(tokens.shape[1]):
        feed = [tokens[:, t:t + 1], mask, hidden, *cross, *past]
        logits, *past = backend.decoder.run(None, dict(zip(backend.decoder_inputs, feed)))
        steps.append(logits[:, -1])
    np.testing.assert_allclose(whole[0], np.stack(steps, 1)[0], atol=1e-4)


def test_ctranslate2_float_matches_pytorch_and_check_reports_it(tiny_model, tmp_path, pytorch, capsys):
    lines = tmp_path / "lines.txt"
    lines.write_text("\n".join(CHUNKS) + "\n\n", encoding="utf-8")
    out = _export(tiny_model, tmp_path / "ct2", "--format", "ctranslate2", "--check", str(lines))
    report = capsys.readouterr().out
    assert "lines=4 " in report and "agreement=1 " in report
    assert load_export(out).generate(CHUNKS) == pytorch.generate(CHUNKS)


def test_ctranslate2_int8_scores_like_pytorch(tiny_model, tmp_path, pytorch):
    out = _export(tiny_model, tmp_path / "ct2", "--format", "ctranslate2", "--quantize", "int8")
    restorer = load_export(out)
    assert _layout(restorer.restore(DOCUMENT)) == _layout(DOCUMENT)
    with pytest.raises(ModelDirError, match="needs the PyTorch model"):
        restorer.restore(DOCUMENT, constraint="skeleton")
    # int8 may pick other bytes; it must still score PyTorch's own output as PyTorch does.
    tok, model = pytorch.tokenizer, pytorch.model
    targets = pytorch.generate(CHUNKS)
    scored = restorer.backend.translator.score_batch(
        [tok.convert_ids_to_tokens(tok(s).input_ids) for s in CHUNKS],
        [tok.convert_ids_to_tokens(tok(t, add_special_tokens=False).input_ids) for t in targets])
    gaps = []
    for source, target, result in zip(CHUNKS, targets, scored):
        labels = tok(target, return_tensors="pt").input_ids  # with </s>, as CTranslate2 scores it
        with torch.inference_mode():
            logits = model(**tok(source, return_tensors="pt"), labels=labels).logits[0]
        expected = torch.log_softmax(logits, -1)[torch.arange(labels.shape[1]), labels[0]].numpy()
        gaps.append(np.abs(np.array(result.log_probs) - expected))
    # Measured 0.21 nats per token on the tiny model; a wrongly scaled output layer gives 2.6.
    assert np.concatenate(gaps).mean() < 0.5


def test_user_errors_are_one_line(tiny_model, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("x")
    assert main([str(tiny_model), "--format", "ctranslate2", "-o", str(taken)]) == 2
    assert "already exists" in capsys.readouterr().err and (taken / "keep.txt").exists()
    assert main([str(tiny_model), "--format", "onnx", "--quantize", "int8", "-o", str(tmp_path / "q")]) == 2
    assert "ctranslate2" in capsys.readouterr().err
    assert main([str(tmp_path / "nope"), "--format", "onnx", "-o", str(tmp_path / "o")]) == 2
    assert "no such model directory" in capsys.readouterr().err
    with pytest.raises(ModelDirError, match="not a vidiac-export directory"):
        load_export(tmp_path)
