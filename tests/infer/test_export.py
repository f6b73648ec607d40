"""vidiac-export and the runtimes: every export restores through the same pipeline as PyTorch, and agrees with it."""
import re

import numpy as np
import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from vidiac.infer import Restorer
from vidiac.infer.backends import ModelDirError
from vidiac.infer.cli import main as restore_main
from vidiac.infer.export import main

# Short: the tiny model never ends a sequence, so each costs its whole length budget in decoder steps.
CHUNKS = ["UY BAN NHAN DAN", "Ket qua cong tac 2024", "so 12/2024/QD-UBND", "a"]
DOCUMENTS = ["UY BAN NHAN DAN\n\nxa Hoa Binh  2024\n", "Ket qua cong tac tuyen truyen", "@@@\n---oOo---",
             "Két qua cong tac cia x4 Hoa Binh"]


def _export(model, out, *args):
    assert main([str(model), "-o", str(out), *args]) == 0
    return out


@pytest.fixture(scope="module")
def exports(tiny_model, tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    return {"onnx": _export(tiny_model, root / "onnx", "--format", "onnx"),
            "ctranslate2": _export(tiny_model, root / "ct2", "--format", "ctranslate2")}


@pytest.fixture(scope="module")
def pytorch(tiny_model):
    return Restorer.from_pretrained(tiny_model)


def _layout(text):
    return re.split(r"\S+", text)


def _same_review(got, expected):
    """The same texts and records; confidences as far as two runtimes' float arithmetic agrees."""
    assert [text for text, _ in got] == [text for text, _ in expected]
    for mine, theirs in zip((r for _, recs in got for r in recs), (r for _, recs in expected for r in recs)):
        assert {**mine, "confidence": None} == {**theirs, "confidence": None}
        assert (mine["confidence"] is None) == (theirs["confidence"] is None)
        assert mine["confidence"] is None or mine["confidence"] == pytest.approx(theirs["confidence"], abs=1e-3)


def test_hf_directory_loads_with_auto_classes(tiny_model, pytorch):
    # transformers 5 removed the text2text-generation pipeline; the Auto classes are what other tools load.
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_model).eval()
    batch = tokenizer(CHUNKS, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = model.generate(**batch, do_sample=False, num_beams=1, max_length=2 * batch.input_ids.shape[1] + 8)
    assert tokenizer.batch_decode(out, skip_special_tokens=True) == pytorch.generate(CHUNKS)


def test_an_export_holds_what_the_pipeline_reads(exports, tiny_model):
    shipped = {p.name for p in tiny_model.iterdir() if p.name.startswith("lexicon") or p.suffix == ".yaml"}
    for name, needs in (("onnx", {"encoder.onnx", "decoder.onnx"}), ("ctranslate2", {"model.bin"})):
        held = {p.name for p in exports[name].iterdir()}
        assert needs | shipped <= held and not any(n.endswith(".safetensors") for n in held)


@pytest.mark.parametrize("runtime", ["onnx", "ctranslate2"])
def test_every_runtime_scores_as_pytorch_with_its_cache_cut_back_and_thinned(exports, pytorch, runtime):
    """A session's logits are the model's at each position given, whether a row's input comes in
    one call or a few tokens at a time, with rows dropped and positions given again, as decoding
    gives them."""
    backend = Restorer.from_pretrained(exports[runtime]).backend
    assert backend.runtime == runtime
    texts = ["xa Hoa Binh", "UBND tinh Ha Giang", "so 12"]
    targets = [[0, 123, 198, 166, 35, 75], [0, 88, 69, 81, 71, 35], [0, 118, 114, 35, 52, 53]]
    tok = pytorch.backend.tokenizer
    with torch.inference_mode():
        expected = pytorch.backend.model(**tok(texts, return_tensors="pt", padding=True),
                                         decoder_input_ids=torch.tensor(targets)).logits.numpy()
    whole = np.asarray(backend.session(texts).logits([0, 1, 2], targets, 0))
    np.testing.assert_allclose(whole, expected, atol=1e-4)
    session = backend.session(texts)
    first = np.asarray(session.logits([0, 1, 2], [t[:4] for t in targets], 0))
    again = np.asarray(session.logits([1, 2], [t[2:] for t in targets[1:]], 2))  # row 0 is done; 2 positions again
    np.testing.assert_allclose(first, expected[:, :4], atol=1e-4)
    np.testing.assert_allclose(again, expected[1:, 2:], atol=1e-4)


@pytest.mark.parametrize("runtime", ["onnx", "ctranslate2"])
def test_every_runtime_restores_through_the_whole_pipeline_as_pytorch(exports, pytorch, runtime):
    restorer = Restorer.from_pretrained(exports[runtime])
    assert restorer.lexicon.forms == pytorch.lexicon.forms  # the pipeline's own, not a bare model
    for constraint in ("ocr", "skeleton", "none"):
        reviewed = restorer.review(DOCUMENTS, constraint=constraint)
        _same_review(reviewed, pytorch.review(DOCUMENTS, constraint=constraint))
    assert [_layout(text) for text, _ in reviewed] == [_layout(d) for d in DOCUMENTS]
    assert restorer.restore("@@@\n---oOo---") == "@@@\n---oOo---"


def test_an_export_restores_from_the_command_line_on_worker_processes(exports, pytorch, tmp_path, capsys):
    # The runtime's threads do not survive a fork: each worker loads the export again.
    files = tmp_path / "in"
    files.mkdir()
    for k, doc in enumerate(DOCUMENTS):
        (files / f"{k}.txt").write_text(doc, encoding="utf-8")
    assert restore_main([str(files), "-o", str(tmp_path / "out"), "-m", str(exports["onnx"]), "--jobs", "2"]) == 0
    for k, doc in enumerate(DOCUMENTS):
        assert (tmp_path / "out" / "in" / f"{k}.txt").read_text(encoding="utf-8") == pytorch.restore(doc)


@pytest.mark.parametrize("fmt", ["onnx", "ctranslate2"])
def test_check_compares_the_whole_pipeline_on_both_runtimes(tiny_model, tmp_path, capsys, fmt):
    lines = tmp_path / "lines.txt"
    # A token that can be no syllable (`ho4c`) and an English line once ended --check in a traceback.
    lines.write_text("Kết quả công tác năm 2024 ho4c\nDiego Costa signed for Chelsea\nỦy ban nhân dân xã\n\n",
                     encoding="utf-8")
    _export(tiny_model, tmp_path / fmt, "--format", fmt, "--check", str(lines))
    report = dict(kv.split("=") for kv in capsys.readouterr().out.split())
    assert report["lines"] == "3" and float(report["line_agreement"]) == 1 and float(report["word_agreement"]) == 1
    assert report["pytorch_word_accuracy"] == report["export_word_accuracy"]


def test_ctranslate2_int8_scores_like_pytorch(tiny_model, tmp_path, pytorch, capsys):
    out = _export(tiny_model, tmp_path / "ct2", "--format", "ctranslate2", "--quantize", "int8")
    restorer = Restorer.from_pretrained(out)
    assert [_layout(t) for t in restorer.restore_many(DOCUMENTS)] == [_layout(d) for d in DOCUMENTS]
    report = tmp_path / "report.txt"  # the README's `vidiac-restore -m exports/ct2 report.txt`
    report.write_text(DOCUMENTS[0], encoding="utf-8")
    capsys.readouterr()
    assert restore_main(["-m", str(out), str(report)]) == 0
    assert capsys.readouterr().out == restorer.restore(DOCUMENTS[0])
    with pytest.raises(ModelDirError, match="needs the PyTorch model"):
        restorer.restore(DOCUMENTS[0], constraint="none", num_beams=2)
    # int8 may pick other bytes; it must still score PyTorch's own output as PyTorch does.
    tok, model = pytorch.backend.tokenizer, pytorch.backend.model
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


def test_user_errors_are_one_line(tiny_model, exports, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("x")
    assert main([str(tiny_model), "--format", "ctranslate2", "-o", str(taken)]) == 2
    assert "already exists" in capsys.readouterr().err and (taken / "keep.txt").exists()
    assert main([str(tiny_model), "--format", "onnx", "--quantize", "int8", "-o", str(tmp_path / "q")]) == 2
    assert "ctranslate2" in capsys.readouterr().err
    assert main([str(tmp_path / "nope"), "--format", "onnx", "-o", str(tmp_path / "o")]) == 2
    assert "no such model directory" in capsys.readouterr().err
    assert main([str(exports["onnx"]), "--format", "onnx", "-o", str(tmp_path / "again")]) == 2
    assert "is an export already" in capsys.readouterr().err
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "encoder.onnx").write_bytes(b"")
    with pytest.raises(ModelDirError, match="missing vidiac.yaml, decoder.onnx"):
        Restorer.from_pretrained(tmp_path / "half")
    with pytest.raises(ModelDirError, match="exports on the CPU"):
        Restorer.from_pretrained(exports["onnx"], device="cuda")
