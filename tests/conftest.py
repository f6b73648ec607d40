import shutil
from pathlib import Path

import pytest

from vidiac.infer.config import load_config

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "configs" / "tiny.yaml"
FIXTURE = ROOT / "tests" / "fixtures" / "legal_sample.txt"


def tiny_config(tmp_path: Path, *overrides: str):
    return load_config(TINY, [f"train.corpora=[{{path: '{FIXTURE}'}}]", f"train.output_dir={tmp_path}", *overrides])


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny model trained a few steps: real weights, real files, useless output."""
    from vidiac.train.run import train

    out = tmp_path_factory.mktemp("tiny_model")
    train(tiny_config(out), out)
    shutil.rmtree(out / "checkpoints")
    return out
