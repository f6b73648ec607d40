"""Batches of clean segments -> degraded byte inputs and clean byte labels, on the fly."""
import random

import torch
from transformers import ByT5Tokenizer

from vidiac.infer.config import Config
from vidiac.infer.vietnamese import normalize, set_tone_style

from .noise import Degrader
from .ocr_pairs import pair_segments


class DegradingCollator:
    """Degrades each segment anew every time it is drawn, so no two epochs see the same noise.

    Rows that already carry a `source` (the fixed dev and test pairs) are used as they are. With
    `noise.ocr_pairs` above 0, that share of the segments is swapped for real OCR line pairs
    (`ocr_pairs.pair_segments`), drawn at random.
    """

    def __init__(self, cfg: Config, seed: int, pad_to_multiple_of: int | None = None):
        self.tokenizer = ByT5Tokenizer()
        self.degrade = Degrader(cfg.noise)
        self.ocr_share = cfg.noise.ocr_pairs
        self.ocr_pairs = pair_segments(cfg) if self.ocr_share else []
        self.tone_style = cfg.text.tone_style
        self.max_bytes = cfg.model.max_bytes
        self.pad_to_multiple_of = pad_to_multiple_of  # few distinct shapes, so a compiled model rarely recompiles
        self.seed, self.worker_seed = seed, None
        self.rng = random.Random(seed)

    def pair(self, clean: str, rng: random.Random) -> tuple[str, str]:
        return self.degrade(set_tone_style(normalize(clean), self.tone_style), rng)

    def _rng(self) -> random.Random:
        # Each data-loader worker starts as a copy of this collator: left alone, all would draw the same noise.
        worker = torch.utils.data.get_worker_info()
        if worker is not None and self.worker_seed != worker.seed:
            self.worker_seed, self.rng = worker.seed, random.Random(f"{self.seed}-{worker.seed}")
        return self.rng

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        sources, targets = [], []
        rng = self._rng()
        for row in rows:
            if "source" in row:
                source, target = row["source"], row["target"]
            elif self.ocr_pairs and rng.random() < self.ocr_share:
                source, target = rng.choice(self.ocr_pairs)
            else:
                source, target = self.pair(row["text"], rng)
            sources.append(source)
            targets.append(target)
        shape = dict(max_length=self.max_bytes, truncation=True, padding=True,
                     pad_to_multiple_of=self.pad_to_multiple_of)
        batch = self.tokenizer(sources, **shape, return_tensors="pt")
        labels = self.tokenizer(text_target=targets, **shape, return_tensors="pt")["input_ids"]
        labels[labels == self.tokenizer.pad_token_id] = -100
        batch["labels"] = labels
        return batch


def fixed_pairs(collator: DegradingCollator, texts: list[str], seed: int) -> dict[str, list[str]]:
    """Degrade evaluation segments once, each with its own seed, so every run scores the same pairs."""
    pairs = [collator.pair(t, random.Random(seed + i)) for i, t in enumerate(texts)]
    return {"source": [s for s, _ in pairs], "target": [t for _, t in pairs]}
