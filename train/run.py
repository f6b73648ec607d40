"""Train a diacritic restorer from a config: `vidiac-train configs/small.yaml`.

The same command runs on CPU (fp32), on one GPU (bf16) and on several under
`torchrun --nproc_per_node N -m vidiac.train.run CONFIG`.
"""
import argparse
import dataclasses
import math
import os
import sys
import time
from pathlib import Path

import torch
from transformers import (ByT5Tokenizer, Seq2SeqTrainer, Seq2SeqTrainingArguments, T5Config,
                          T5ForConditionalGeneration, TrainerCallback, set_seed)

from vidiac.infer.config import Config, ConfigError, load_config

from .collate import DegradingCollator, fixed_pairs
from .corpus import build_splits
from .metrics import scores
from .modelcard import write_model_card

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


class TimeBudget(TrainerCallback):
    """Stops cleanly, with a checkpoint, once the wall-clock budget is spent."""

    def __init__(self, minutes: float):
        self.deadline = time.monotonic() + 60 * minutes

    def on_step_end(self, args, state, control, **kwargs):
        if time.monotonic() > self.deadline:
            control.should_training_stop = True
            control.should_save = True


def training_arguments(cfg: Config, output_dir: Path) -> Seq2SeqTrainingArguments:
    tc = cfg.train
    cuda = torch.cuda.is_available()
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return Seq2SeqTrainingArguments(
        output_dir=str(output_dir), seed=tc.seed, max_steps=tc.max_steps,
        per_device_train_batch_size=tc.batch_size, per_device_eval_batch_size=tc.batch_size,
        gradient_accumulation_steps=tc.grad_accum, learning_rate=tc.learning_rate,
        weight_decay=tc.weight_decay, warmup_steps=tc.warmup_steps, lr_scheduler_type=tc.lr_scheduler,
        logging_steps=tc.logging_steps, eval_strategy="steps", eval_steps=tc.eval_steps,
        save_strategy="steps", save_steps=tc.save_steps, save_total_limit=tc.save_total_limit,
        predict_with_generate=True, generation_max_length=cfg.model.max_bytes + 16, generation_num_beams=1,
        bf16=cuda and torch.cuda.is_bf16_supported(), ddp_backend="gloo" if distributed and not cuda else None,
        dataloader_num_workers=tc.dataloader_workers, remove_unused_columns=False,
        report_to="none", disable_tqdm=not sys.stderr.isatty(),
        # Batches differ in length; each process reads its own share of the ordered stream.
        accelerator_config={"dispatch_batches": False},
    )


def train(cfg: Config, output_dir: Path, resume: bool = False) -> dict[str, float]:
    tc = cfg.train
    set_seed(tc.seed)
    tokenizer = ByT5Tokenizer()
    model = build_model(cfg, tokenizer)
    c = model.config  # with init_from, the saved config must describe the checkpoint's shape
    cfg.model = dataclasses.replace(cfg.model, d_model=c.d_model, d_ff=c.d_ff, num_layers=c.num_layers,
                                    num_decoder_layers=c.num_decoder_layers, num_heads=c.num_heads, d_kv=c.d_kv)
    data = build_splits(cfg)
    collator = DegradingCollator(cfg, seed=tc.seed + int(os.environ.get("RANK", "0")))
    dev = data["dev"].select(range(min(tc.eval_samples, len(data["dev"]))))
    pairs = fixed_pairs(collator, dev["text"], tc.seed)
    dev = dev.add_column("source", pairs["source"]).add_column("target", pairs["target"])

    def compute_metrics(pred):
        # -100 marks padding in labels (and in predictions gathered across processes)
        labels = [[t for t in row if t >= 0] for row in pred.label_ids]
        preds = [[t for t in row if t >= 0] for row in pred.predictions]
        return scores(tokenizer.batch_decode(preds, skip_special_tokens=True),
                      tokenizer.batch_decode(labels, skip_special_tokens=True))

    trainer = Seq2SeqTrainer(
        model=model, args=training_arguments(cfg, output_dir / "checkpoints"), data_collator=collator,
        # Iterated in order: the corpus is already shuffled and bucketed by length.
        train_dataset=data["train"].to_iterable_dataset(), eval_dataset=dev, compute_metrics=compute_metrics,
        callbacks=[TimeBudget(tc.max_minutes)] if tc.max_minutes else [],
    )
    last = _last_checkpoint(output_dir / "checkpoints") if resume else None
    trainer.train(resume_from_checkpoint=str(last) if last else None)
    metrics = trainer.evaluate()
    if trainer.is_world_process_zero():
        save(trainer.model, tokenizer, cfg, output_dir, metrics, trainer.state.global_step)
    return metrics


def _last_checkpoint(directory: Path) -> Path | None:
    found = sorted(directory.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return found[-1] if found else None


def save(model, tokenizer, cfg: Config, output_dir: Path, metrics: dict, steps: int) -> None:
    """A self-contained model directory: sharded safetensors, tokenizer, resolved config, card."""
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output_dir, max_shard_size=MAX_SHARD)
    tokenizer.save_pretrained(output_dir)
    cfg.save(output_dir)
    write_model_card(output_dir, cfg, metrics, steps, sum(p.numel() for p in model.parameters()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vidiac-train", description=__doc__.split("\n")[0])
    parser.add_argument("config", help="YAML config, e.g. configs/small.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set train.max_steps=100 (repeatable)")
    parser.add_argument("-o", "--output", help="model directory to write (default: train.output_dir)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in the output")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, args.overrides)
    except ConfigError as e:
        parser.exit(2, f"vidiac-train: {e}\n")
    output = Path(args.output or cfg.train.output_dir)
    metrics = train(cfg, output, resume=args.resume)
    print({k: round(v, 4) if isinstance(v, float) and math.isfinite(v) else v for k, v in metrics.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
