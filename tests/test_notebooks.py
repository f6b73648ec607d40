"""notebooks/error_analysis.ipynb runs headless, on a few fixture lines and the tiny model."""
import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from vidiac.infer.vietnamese import strip_diacritics

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "legal_sample.txt"


def test_error_analysis_notebook_runs_and_draws_its_plots(tiny_model, tmp_path, monkeypatch):
    corpus = tmp_path / "legal.txt"  # 3 test-split lines for the tiny model, 20 to count syllables in
    corpus.write_text("\n".join(FIXTURE.read_text(encoding="utf-8").splitlines()[:23]) + "\n", encoding="utf-8")
    # The notebook's settings cell reads these; the kernel inherits this environment. One thread:
    # torch's idle threads spin, which on cores shared with other work costs far more than it saves.
    lines = corpus.read_text(encoding="utf-8").splitlines()
    ladder = tmp_path / "ladder.jsonl"  # a page of two levels and both engines, as vidiac-ladder writes them
    ladder.write_text("".join(json.dumps({"source": strip_diacritics("\n".join(lines[:3]))
                                                    if engine == "eng" else lines[0],
                                          "target": "\n".join(lines[:3]) if engine == "eng" else lines[0],
                                          "engine": engine, "level": level, "level_name": name, "split": "test"},
                                         ensure_ascii=False) + "\n"
                              for level, name in ((1, "clean"), (2, "fax")) for engine in ("eng", "vie")),
                      encoding="utf-8")
    for key, value in {"VIDIAC_NB_MODEL": tiny_model, "VIDIAC_NB_CORPUS": corpus, "VIDIAC_NB_DOCS": 2,
                       "VIDIAC_NB_LADDER": ladder,
                       "VIDIAC_NB_COUNT_LINES": 100, "VIDIAC_NB_CACHE": tmp_path / "cache",
                       "OMP_NUM_THREADS": 1}.items():
        monkeypatch.setenv(key, str(value))
    nb = nbformat.read(ROOT / "notebooks" / "error_analysis.ipynb", as_version=4)
    # "python3" is the kernel ipykernel installs into the environment; jupyter_client runs it
    # with this interpreter, so a fresh venv needs no `ipykernel install`.
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()  # raises on a failing cell
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 3
    printed = "".join(o.get("text", "") for o in outputs)
    assert "legal, stripped" in printed and "reference:" in printed
    assert "1: clean" in printed and "2: fax" in printed  # the ladder's table, under its plot
