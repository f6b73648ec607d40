"""The GPU recipe on CPU: segment tables, the budgeted schedule, throughput, and the one-command script."""
import math
import os
import re
import subprocess
import sys
import time

import pytest
import torch
import yaml
from transformers import get_cosine_schedule_with_warmup

from tests.conftest import FIXTURE, ROOT, TINY, tiny_config
from vidiac.infer import Restorer, load_config
from vidiac.infer.lexicon import Lexicon
from vidiac.train.budget import TimeBudget, budget_schedule
from vidiac.train.collate import DegradingCollator
from vidiac.train.corpus import build_splits
from vidiac.train.run import main
from vidiac.train.table import read_table
from vidiac.train.throughput import Throughput, peak_flops


def test_segment_table_holds_the_splits_and_refuses_other_settings(tmp_path, capsys):
    overrides = [f"train.corpora=[{{path: '{FIXTURE}'}}]", f"train.table={tmp_path / 'table'}", "train.table_rows=20"]
    assert main([str(TINY), "--build-table", *(a for o in overrides for a in ("--set", o))]) == 0
    cfg = load_config(TINY, overrides)
    built, table = build_splits(cfg), read_table(cfg)
    assert table["train"]["text"] == built["train"]["text"][:20]
    assert table["dev"]["text"] == built["dev"]["text"] and table["test"]["text"] == built["test"]["text"]

    with pytest.raises(SystemExit) as exit_:  # a table of 20 rows is not one of 30
        main([str(TINY), *(a for o in overrides for a in ("--set", o)), "--set", "train.table_rows=30"])
    assert exit_.value.code == 2 and "table_rows 20 (config: 30)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(TINY), "--set", f"train.table={tmp_path / 'none'}"])
    assert "--build-table" in capsys.readouterr().err


def test_schedule_ends_with_the_steps_or_the_time_whichever_comes_first():
    def lrs(budget, steps=range(0, 100, 7)):
        schedule = budget_schedule(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0),
                                   "cosine", 10, 100, budget)
        return [schedule.lr_lambdas[0](s) for s in steps]

    no_budget = TimeBudget(None, 0)
    reference = get_cosine_schedule_with_warmup(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), 10, 100)
    assert lrs(no_budget) == pytest.approx([reference.lr_lambdas[0](s) for s in range(0, 100, 7)])
    half_spent = TimeBudget(time.monotonic() + 60, 0)
    half_spent.spent, half_spent.left = 30.0, 30.0
    assert lrs(half_spent, [10, 80]) == pytest.approx([0.5, 0.5 * (1 + math.cos(math.pi * 70 / 90))])
    spent = TimeBudget(time.monotonic(), 0)
    spent.spent, spent.left = 60.0, 0.0
    assert spent.progress() == 1 and lrs(spent, [5, 20]) == [0.5, 0.0]  # the warmup is by steps


def test_throughput_counts_real_tokens_and_knows_the_gpus(tiny_model):
    model = Restorer.from_pretrained(tiny_model).backend.model
    meter = Throughput(model, torch.device("cpu"), bf16=False)
    meter.count({"attention_mask": torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]]),
                 "labels": torch.tensor([[5, 6, -100, -100], [5, 6, 7, 8]])})
    rates = meter.rates()
    assert "mfu" not in rates  # no peak to measure against on a CPU
    assert rates["tokens_per_s"] == pytest.approx(rates["input_bytes_per_s"] * 13 / 7)
    assert meter.tokens.tolist() == [0, 0]  # each rate covers the time since the last
    def size(*modules):
        return sum(p.numel() for m in modules for p in m.parameters())

    # the shared embedding is a lookup: no FLOPs; the output layer is a product for every target token
    assert meter.encoder == size(model.encoder.block, model.encoder.final_layer_norm)
    assert meter.decoder == size(model.decoder.block, model.decoder.final_layer_norm, model.lm_head)
    assert peak_flops("NVIDIA H100 80GB HBM3") == peak_flops("NVIDIA H200") == 989e12
    assert peak_flops("NVIDIA H100 PCIe") == 756e12 and peak_flops("Tesla T4") is None


def test_collator_pads_to_a_multiple_and_each_loader_worker_draws_its_own_noise(tmp_path):
    cfg = tiny_config(tmp_path, "noise.strip_all=0", "noise.strip_some=1", "noise.strip_some_rate=0.5")
    collator = DegradingCollator(cfg, seed=1, pad_to_multiple_of=64)
    rows = [{"text": "Ủy ban nhân dân xã Hòa Bình, huyện Kỳ Sơn"}] * 8
    loader = torch.utils.data.DataLoader(rows, batch_size=4, num_workers=2, collate_fn=collator)
    batches = list(loader) + list(loader)  # a batch from each of two workers, in each of two epochs
    assert all(b["input_ids"].shape[1] == b["labels"].shape[1] == 64 for b in batches)
    sources = {tuple(map(tuple, b["input_ids"].tolist())) for b in batches}
    assert len(sources) == 4


def test_one_command_recipe_trains_two_stages_inside_its_budget(tmp_path):
    """scripts/train_gpu.sh on CPU: tiny stage 1 from scratch, stage 2 from its output, one minute in all."""
    base = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    base["train"].update(corpora=[{"path": str(FIXTURE)}], table=str(tmp_path / "table"), table_rows=None,
                         max_steps=100_000, reserve_minutes=0.25, eval_steps=1000, save_steps=1000)
    base["model"]["max_bytes"] = 64  # an untrained model decodes to the limit: keep the final evaluation short
    stages = []
    for name, init_from in (("one", None), ("two", str(tmp_path / "one"))):
        stage = {**base, "model": {**base["model"], "init_from": init_from},
                 "train": {**base["train"], "output_dir": str(tmp_path / name)}}
        stages.append(tmp_path / f"{name}.yaml")
        stages[-1].write_text(yaml.safe_dump(stage), encoding="utf-8")
    assert main([str(stages[0]), "--build-table"]) == 0

    started = time.monotonic()
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "train_gpu.sh"), ",".join(map(str, stages)), "1"],
                          env={**os.environ, "PYTHON": sys.executable,
                               "OMP_NUM_THREADS": "1"},  # a tiny model on a busy CPU
                          capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert elapsed < 60 + 30, elapsed  # the budget, with slack for a loaded machine
    assert "tokens_per_s" in proc.stdout and "'eval_word_accuracy'" in proc.stdout
    for name in ("one", "two"):
        out = tmp_path / name
        Restorer.from_pretrained(out).restore("Uy ban nhan dan")
        assert list(out.glob("*.safetensors")) and Lexicon.load(out).forms
        steps = int(re.search(r"(\d+) steps of batch", (out / "README.md").read_text(encoding="utf-8"))[1])
        assert 0 < steps < 100_000  # the budget stopped it
        assert load_config(out).train.max_minutes < 1
