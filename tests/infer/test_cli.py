import io
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from vidiac.infer.cli import main, read_text
from vidiac.infer.vietnamese import normalize

TEXT = "UY BAN NHAN DAN\n\nxa Hoa Binh  2024\n"


def _skeleton(text):
    return re.split(r"\S+", text)


def run_cli(args, stdin=b"", capsys=None, monkeypatch=None):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_stdin_to_stdout_keeps_layout(tiny_model, capsys, monkeypatch):
    code, out, err = run_cli(["-m", str(tiny_model)], TEXT.encode(), capsys, monkeypatch)
    assert code == 0 and _skeleton(out) == _skeleton(TEXT) and out.split()[-1] == "2024"


def test_empty_input_gives_empty_output(tiny_model, capsys, monkeypatch):
    assert run_cli(["-m", str(tiny_model)], b"", capsys, monkeypatch)[:2] == (0, "")
    assert run_cli(["-m", str(tiny_model)], b" \n\n ", capsys, monkeypatch)[:2] == (0, " \n\n ")


def test_file_to_file_and_folder_to_folder(tiny_model, tmp_path, capsys, monkeypatch):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text(TEXT, encoding="utf-8")
    (src / "sub" / "b.txt").write_text("quyet dinh", encoding="utf-8")
    (src / "skip.docx").write_bytes(b"PK")  # not a kind of file vidiac reads
    out_file = tmp_path / "a.out.txt"
    assert run_cli(["-m", str(tiny_model), str(src / "a.txt"), "-o", str(out_file)], b"", capsys, monkeypatch)[0] == 0
    assert _skeleton(out_file.read_text(encoding="utf-8")) == _skeleton(TEXT)
    out_dir = tmp_path / "out"
    assert run_cli(["-m", str(tiny_model), str(src), "-o", str(out_dir)], b"", capsys, monkeypatch)[0] == 0
    assert sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.txt")) == ["in/a.txt", "in/sub/b.txt"]
    assert len((out_dir / "in" / "sub" / "b.txt").read_text(encoding="utf-8").split()) == 2


def test_worker_processes_write_what_one_process_writes(tiny_model, tmp_path, capsys, monkeypatch):
    from vidiac.infer import cli
    monkeypatch.setattr(cli, "BLOCK_CHARS", 30)  # files of several blocks, shared among the workers
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        (src / f"{i}.txt").write_text("".join(f"Dong {k} cua van ban {i}\n" for k in range(i * 3)), encoding="utf-8")
    (src / "bad.txt").write_bytes(b"\xff")
    one, two = tmp_path / "one", tmp_path / "two"
    for jobs, out in (("1", one), ("2", two)):
        code, _, err = run_cli(["-m", str(tiny_model), str(src), "-o", str(out), "--jobs", jobs],
                               b"", capsys, monkeypatch)
        assert code == 2 and "bad.txt: not valid utf-8" in err
    for i in range(6):
        restored = (two / "in" / f"{i}.txt").read_text(encoding="utf-8")
        assert restored == (one / "in" / f"{i}.txt").read_text(encoding="utf-8")
        assert [w for w in restored.split() if w.isdigit()] == [x for k in range(i * 3) for x in (str(k), str(i))]
    assert run_cli(["-m", str(tiny_model), "--jobs", "0"], TEXT.encode(), capsys, monkeypatch)[0] == 2


def test_not_utf8_names_the_file_and_offset_and_goes_on(tiny_model, tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("Hà Nội ".encode() + b"\xff\xfe ok")
    good = tmp_path / "good.txt"
    good.write_text("ok", encoding="utf-8")
    code, _, err = run_cli(["-m", str(tiny_model), str(bad), str(good), "-o", str(tmp_path / "o")], b"", capsys,
                           monkeypatch)
    assert code == 2 and f"{bad}: not valid utf-8 at byte 10" in err and "Traceback" not in err
    assert (tmp_path / "o" / "good.txt").exists() and not (tmp_path / "o" / "bad.txt").exists()


def test_windows_1258_is_read_with_the_encoding_option(tiny_model, tmp_path, capsys, monkeypatch):
    path = tmp_path / "cp.txt"
    path.write_bytes("Hà Nô\u0323i".encode("cp1258"))  # Windows Vietnamese writes tones as combining marks
    assert normalize(read_text(path.read_bytes(), str(path), "cp1258")) == "Hà Nội"
    code, out, _ = run_cli(["-m", str(tiny_model), "--encoding", "cp1258", str(path)], b"", capsys, monkeypatch)
    assert code == 0 and len(out.split()) == 2


@pytest.mark.parametrize("problem", ["missing", "incomplete"])
def test_missing_or_incomplete_model_is_a_clear_error(tmp_path, problem, capsys, monkeypatch):
    model = tmp_path / "model"
    if problem == "incomplete":
        model.mkdir()
        (model / "config.json").write_text("{}")
    code, _, err = run_cli(["-m", str(model)], b"xa", capsys, monkeypatch)
    assert code == 2 and str(model) in err and ("no such model directory" if problem == "missing"
                                                else "missing") in err


def test_a_broken_lexicon_is_a_clear_error(tiny_model, tmp_path, capsys, monkeypatch):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / "lexicon.npz").write_text('{"va": ["và"]}')  # not what numpy writes
    code, _, err = run_cli(["-m", str(model)], b"xa", capsys, monkeypatch)
    assert code == 2 and "lexicon.npz: not a lexicon written by vidiac" in err and "Traceback" not in err
    np.savez_compressed(model / "lexicon.npz", vocab=np.zeros(3, dtype=np.uint8))  # numpy's, but not a lexicon
    code, _, err = run_cli(["-m", str(model)], b"xa", capsys, monkeypatch)
    assert code == 2 and "lexicon.npz: not a lexicon written by vidiac" in err and "Traceback" not in err
    assert "python -m vidiac.train.lexicon" in err


def test_missing_input_and_folder_without_output_are_clear(tiny_model, tmp_path, capsys, monkeypatch):
    code, _, err = run_cli(["-m", str(tiny_model), str(tmp_path / "nope.txt")], b"", capsys, monkeypatch)
    assert code == 2 and "nope.txt: no such file or folder" in err
    code, _, err = run_cli(["-m", str(tiny_model), str(tmp_path)], b"", capsys, monkeypatch)
    assert code == 2 and "need -o OUT" in err


def test_console_script_reads_stdin(tiny_model):
    proc = subprocess.run([sys.executable, "-m", "vidiac.infer.cli", "-m", str(tiny_model)], input=TEXT.encode(),
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert _skeleton(proc.stdout.decode()) == _skeleton(TEXT)


def test_review_writes_json_per_word(tiny_model, capsys, monkeypatch):
    import json
    code, out, _ = run_cli(["-m", str(tiny_model), "--review"], TEXT.encode(), capsys, monkeypatch)
    review = json.loads(out)
    assert code == 0 and _skeleton(review["text"]) == _skeleton(TEXT)
    assert [w["input"] for w in review["words"]] == TEXT.split()
    assert all(0 < w["confidence"] <= 1 for w in review["words"])


@pytest.mark.parametrize("constraint", ["skeleton", "ocr", "none"])
def test_every_constraint_keeps_the_layout(tiny_model, capsys, monkeypatch, constraint):
    code, out, _ = run_cli(["-m", str(tiny_model), "--constraint", constraint], TEXT.encode(), capsys, monkeypatch)
    assert code == 0 and _skeleton(out) == _skeleton(TEXT) and out.split()[-1] == "2024"


def test_beams_with_constrained_decoding_is_a_clear_error(tiny_model, capsys, monkeypatch):
    code, out, err = run_cli(["-m", str(tiny_model), "--beams", "4"], TEXT.encode(), capsys, monkeypatch)
    assert code == 2 and out == "" and "--constraint none" in err and "Traceback" not in err


def test_long_input_is_restored_a_block_of_lines_at_a_time(tiny_model, capsys, monkeypatch):
    from vidiac.infer import cli
    text = "".join(f"Dong {i} cua bao cao\n" + ("\n" if i % 3 == 0 else "") for i in range(40)) + "het"
    assert "".join(cli.blocks(text, 50)) == text and len(list(cli.blocks(text, 50))) > 5
    monkeypatch.setattr(cli, "BLOCK_CHARS", 50)
    code, out, _ = run_cli(["-m", str(tiny_model)], text.encode(), capsys, monkeypatch)
    assert code == 0 and _skeleton(out) == _skeleton(text)
    assert [w for w in out.split() if w.isdigit()] == [str(i) for i in range(40)]
    code, out, _ = run_cli(["-m", str(tiny_model), "--review"], text.encode(), capsys, monkeypatch)
    review = json.loads(out)
    assert _skeleton(review["text"]) == _skeleton(text) and [w["input"] for w in review["words"]] == text.split()
