"""Train a diacritic restorer from a config: `vidiac-train configs/small.yaml`.

The same command runs on CPU (fp32), on one GPU (bf16) and on several under
`torchrun --nproc_per_node N -m vidiac.train.run CONFIG`. Several configs train in turn: a
curriculum whose later stages start from the earlier ones' output (model.init_from).
"""
import time

STARTED = time.monotonic()  # before the heavy imports, which a --budget counts

import argparse
import dataclasses
import itertools
import math
import os
import sys
from pathlib import Path

import torch
from transformers import (ByT5Tokenizer, Seq2SeqTrainer, Seq2SeqTrainingArguments, T5Config,
                          T5ForConditionalGeneration, set_seed)

from vidiac.infer.config import Config, ConfigError, load_config
from vidiac.infer.correction import CHANNEL_NAME
from vidiac.infer.lexicon import Lexicon
from vidiac.infer.vietnamese import set_tone_style

from .budget import TimeBudget, budget_schedule
from .collate import DegradingCollator, fixed_pairs
from .confusion_model import write_channel
from .corpus import build_splits
from .lexicon import build_lexicon, unit_names
from .metrics import scores
from .modelcard import write_model_card
from .ocr_pairs import PairsError
from .table import TableError, read_table, write_table
from .throughput import Throughput

MAX_SHARD = "15MB"  # every weight file stays under the repository's file-size limit


def build_model(cfg: Config, tokenizer: ByT5Tokenizer) -> T5ForConditionalGeneration:
    if cfg.model.init_from:
        return T5ForConditionalGeneration.from_pretrained(cfg.model.init_from)
    m = cfg.model
    config = T5Config(
        vocab_size=len(tokenizer), d_model=m.d_model, d_ff=m.d_ff, d_kv=m.d_kv, num_heads=m.num_heads,
        num_layers=m.num_layers, num_decoder_layers=m.num_decoder_layers, dropout_rate=m.dropout,
        feed_forward_proj="gated-gelu", tie_word_embeddings=False, is_encoder_decoder=True,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=0,
    )
    model = T5ForConditionalGeneration(config)
    # transformers 5 ties T5's head to the input embedding and, with tie_word_embeddings=False
    # (the T5 v1.1 / ByT5 recipe), does not rescale the decoder output. T5's init (std 1)
    # then starts the logits at scale sqrt(d_model): a first loss of ~140 instead of ~6,
    # and hundreds of steps spent shrinking it.
    torch.nn.init.normal_(model.lm_head.weight, std=m.d_model ** -0.5)
    return model


class BudgetedTrainer(Seq2SeqTrainer):
    """The Seq2SeqTrainer with a learning rate that ends with the time budget, and throughput in its logs."""

    def __init__(self, *args, budget: TimeBudget, cfg: Config, **kwargs):
        super().__init__(*args, callbacks=[budget], **kwargs)
        self.budget, self.cfg = budget, cfg
        self.throughput = Throughput(self.model, self.args.device, self.args.bf16)

    def create_scheduler(self, num_training_steps: int, optimizer=None):
        if self.lr_scheduler is None:
            tc = self.cfg.train
            self.lr_scheduler = budget_schedule(optimizer or self.optimizer, tc.lr_scheduler, tc.warmup_steps,
                                                tc.max_steps, self.budget)
        return self.lr_scheduler

    def training_step(self, model, inputs, num_items_in_batch=None):
        self.throughput.count(inputs)
        return super().training_step(model, inputs, num_items_in_batch)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:  # a training log, not an evaluation's
            logs.update(self.throughput.rates())
        super().log(logs, start_time)

    def evaluate(self, *args, **kwargs):
        try:
            return super().evaluate(*args, **kwargs)
        finally:
            self.throughput.restart()  # speeds measure training alone


def training_arguments(cfg: Config, output_dir: Path) -> Seq2SeqTrainingArguments:
    tc = cfg.train
    cuda = torch.cuda.is_available()
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return Seq2SeqTrainingArguments(
        output_dir=str(output_dir), seed=tc.seed, max_steps=tc.max_steps,
        per_device_train_batch_size=tc.batch_size, per_device_eval_batch_size=tc.batch_size,
        gradient_accumulation_steps=tc.grad_accum, learning_rate=tc.learning_rate,
        weight_decay=tc.weight_decay, optim="adamw_torch_fused",  # the schedule is budget_schedule
        logging_steps=tc.logging_steps, eval_strategy="steps", eval_steps=tc.eval_steps,
        save_strategy="steps", save_steps=tc.save_steps, save_total_limit=tc.save_total_limit,
        predict_with_generate=True, generation_max_length=cfg.model.max_bytes + 16, generation_num_beams=1,
        bf16=cuda and torch.cuda.is_bf16_supported(), ddp_backend="gloo" if distributed and not cuda else None,
        dataloader_num_workers=tc.dataloader_workers, dataloader_pin_memory=cuda,
        remove_unused_columns=False, torch_compile=tc.torch_compile,
        report_to="none", disable_tqdm=not sys.stderr.isatty(),
        # Batches differ in length; each process reads its own share of the ordered stream.
        accelerator_config={"dispatch_batches": False},
    )


def train(cfg: Config, output_dir: Path, resume: bool = False, deadline: float | None = None) -> dict[str, float]:
    """Train, evaluate on dev and save to `output_dir`, all by `deadline` (a time.monotonic() value;
    by default train.max_minutes from now)."""
    tc = cfg.train
    if deadline is None and tc.max_minutes:
        deadline = time.monotonic() + 60 * tc.max_minutes
    set_seed(tc.seed)
    tokenizer = ByT5Tokenizer()
    model = build_model(cfg, tokenizer)
    c = model.config  # with init_from, the saved config must describe the checkpoint's shape
    cfg.model = dataclasses.replace(cfg.model, d_model=c.d_model, d_ff=c.d_ff, num_layers=c.num_layers,
                                    num_decoder_layers=c.num_decoder_layers, num_heads=c.num_heads, d_kv=c.d_kv)
    data = read_table(cfg) if tc.table else build_splits(cfg)
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    lexicon = training_lexicon(cfg, data["train"]) if rank == 0 else None  # before training: not the reserve's time
    collator = DegradingCollator(cfg, seed=tc.seed + rank, pad_to_multiple_of=64 if tc.torch_compile else None)
    if tc.torch_compile:  # batch and length vary: one compilation for all shapes, not one static, then one dynamic
        torch._dynamo.config.assume_static_by_default = False
    dev = data["dev"].select(range(min(tc.eval_samples, len(data["dev"]))))
    pairs = fixed_pairs(collator, dev["text"], tc.seed)
    dev = dev.add_column("source", pairs["source"]).add_column("target", pairs["target"])

    def compute_metrics(pred):
        # -100 marks padding in labels (and in predictions gathered across processes)
        labels = [[t for t in row if t >= 0] for row in pred.label_ids]
        preds = [[t for t in row if t >= 0] for row in pred.predictions]
        return scores(tokenizer.batch_decode(preds, skip_special_tokens=True),
                      tokenizer.batch_decode(labels, skip_special_tokens=True))

    trainer = BudgetedTrainer(
        model=model, args=training_arguments(cfg, output_dir / "checkpoints"), data_collator=collator,
        # Iterated in order: the corpus is already shuffled and bucketed by length. Each process and
        # each of its loader workers reads its own shards (one worker per shard at most).
        train_dataset=data["train"].to_iterable_dataset(num_shards=world * max(1, tc.dataloader_workers)),
        eval_dataset=dev, compute_metrics=compute_metrics,
        budget=TimeBudget(deadline, 60 * tc.reserve_minutes), cfg=cfg,
    )
    last = _last_checkpoint(output_dir / "checkpoints") if resume else None
    trainer.train(resume_from_checkpoint=str(last) if last else None)
    metrics = trainer.evaluate()
    if trainer.is_world_process_zero():
        save(trainer.model, tokenizer, cfg, output_dir, metrics, trainer.state.global_step, lexicon)
    return metrics


def training_lexicon(cfg: Config, train_split) -> Lexicon:
    """The word forms of the first train.lexicon_segments training segments, placed as the targets are."""
    texts = train_split.select(range(min(cfg.train.lexicon_segments, len(train_split))))["text"]
    return build_lexicon(itertools.chain((set_tone_style(t, cfg.text.tone_style) for t in texts), unit_names(cfg)))


def _last_checkpoint(directory: Path) -> Path | None:
    found = sorted(directory.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return found[-1] if found else None


def save(model, tokenizer, cfg: Config, output_dir: Path, metrics: dict, steps: int, lexicon: Lexicon) -> None:
    """A self-contained model directory: sharded safetensors, tokenizer, decoding lexicon, resolved config, card."""
    output_dir.mkdir(parents=True, exist_ok=True)
    lexicon.save(output_dir)
    if cfg.noise.fitted_ocr_models:  # the engines it learned to read are the ones it corrects
        write_channel(output_dir / CHANNEL_NAME, cfg.noise.fitted_ocr_models)
    model.save_pretrained(output_dir, max_shard_size=MAX_SHARD)
    tokenizer.save_pretrained(output_dir)
    cfg.save(output_dir)
    write_model_card(output_dir, cfg, metrics, steps, sum(p.numel() for p in model.parameters()), lexicon,
                     f"the first {cfg.train.lexicon_segments:,} training segments")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vidiac-train", description=__doc__.split("\n")[0])
    parser.add_argument("configs", nargs="+", metavar="config",
                        help="YAML config, e.g. configs/small.yaml; several train in turn")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set train.max_steps=100 (repeatable; every config)")
    parser.add_argument("-o", "--output", help="model directory to write (default: train.output_dir); one config only")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in the output")
    parser.add_argument("--budget", type=float, metavar="MINUTES",
                        help="wall-clock minutes for the whole command from its start, every config's data, "
                             "training, evaluation and save; configs share them in proportion to their "
                             "train.max_minutes (1 where unset)")
    parser.add_argument("--build-table", action="store_true",
                        help="write each config's segment table (train.table) from its corpora, and train nothing")
    args = parser.parse_args(argv)
    if args.output and len(args.configs) > 1:
        parser.error("-o names one model directory; with several configs each writes its train.output_dir")
    try:
        cfgs = [load_config(path, args.overrides) for path in args.configs]
        if args.build_table:
            for path, cfg in zip(args.configs, cfgs):
                if not cfg.train.table:
                    raise ConfigError(f"{path}: --build-table needs train.table, the folder to write")
                print(f"{write_table(cfg, build_splits(cfg))}: segment table of {path}")
            return 0
        end = STARTED + 60 * args.budget if args.budget is not None else None
        shares = [cfg.train.max_minutes or 1.0 for cfg in cfgs]
        for i, (path, cfg) in enumerate(zip(args.configs, cfgs)):
            deadline = None
            if end is not None:
                now = time.monotonic()
                deadline = now + (end - now) * shares[i] / sum(shares[i:])
                cfg.train.max_minutes = round((deadline - now) / 60, 2)  # the saved config tells this stage's share
            if len(cfgs) > 1 or end is not None:
                print(f"vidiac-train: {path}: {cfg.train.max_minutes} minutes", file=sys.stderr, flush=True)
            metrics = train(cfg, Path(args.output or cfg.train.output_dir), resume=args.resume, deadline=deadline)
            print({k: round(v, 4) if isinstance(v, float) and math.isfinite(v) else v for k, v in metrics.items()})
    except (ConfigError, TableError, PairsError, FileNotFoundError) as e:  # FileNotFoundError: a corpus, with its path
        parser.exit(2, f"vidiac-train: {e}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
