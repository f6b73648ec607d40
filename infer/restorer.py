"""Load a trained model directory and restore diacritics in documents."""
import os
from pathlib import Path

import torch
from transformers import ByT5Tokenizer, T5ForConditionalGeneration

from .chunking import Layout, align_words, chunk_text, plan_chunks
from .config import CONFIG_NAME, Config, ConfigError, load_config
from .vietnamese import normalize, set_tone_style

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default"
WEIGHTS = ("model.safetensors", "model.safetensors.index.json")


class ModelDirError(RuntimeError):
    """A model directory that is missing or incomplete."""


def default_model_dir() -> Path:
    return Path(os.environ.get("VIDIAC_MODEL", DEFAULT_MODEL))


def check_model_dir(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise ModelDirError(f"{path}: no such model directory")
    missing = [n for n in (CONFIG_NAME, "config.json") if not (path / n).is_file()]
    if not any((path / n).is_file() for n in WEIGHTS):
        missing.append("model.safetensors (or its shard index)")
    if missing:
        raise ModelDirError(f"{path}: incomplete model directory, missing {', '.join(missing)}")
    return path


class Restorer:
    """`Restorer.from_pretrained(path).restore(text)` gives `text` with its diacritics restored."""

    def __init__(self, model: T5ForConditionalGeneration, config: Config):
        self.model = model.eval()
        self.config = config
        self.tokenizer = ByT5Tokenizer()

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, device: str = "cpu") -> "Restorer":
        path = check_model_dir(path or default_model_dir())
        try:
            config = load_config(path)
        except ConfigError as e:
            raise ModelDirError(str(e)) from None
        try:
            model = T5ForConditionalGeneration.from_pretrained(path)
        except (OSError, ValueError) as e:
            raise ModelDirError(f"{path}: cannot load the model weights: {e}") from None
        return cls(model.to(device), config)

    def restore(self, text: str, num_beams: int | None = None) -> str:
        return self.restore_many([text], num_beams=num_beams)[0]

    def restore_many(self, texts: list[str], num_beams: int | None = None, tone_style: str | None = None) -> list[str]:
        """Restore several documents, batching their chunks together."""
        cfg = self.config.infer
        layouts = [Layout.of(normalize(t), cfg.chunk_bytes) for t in texts]
        jobs = [(d, c) for d, lay in enumerate(layouts) for c in plan_chunks(lay, cfg.chunk_bytes)]
        sources = [chunk_text(layouts[d], c) for d, c in jobs]
        outputs = self.generate(sources, num_beams or cfg.num_beams)
        restored = [list(lay.words) for lay in layouts]
        for (d, (start, end)), out in zip(jobs, outputs):
            restored[d][start:end] = align_words(layouts[d].words[start:end], out)
        style = tone_style or self.config.text.tone_style
        return [set_tone_style(lay.join(words), style) for lay, words in zip(layouts, restored)]

    @torch.inference_mode()
    def generate(self, sources: list[str], num_beams: int = 1) -> list[str]:
        """Model outputs for chunk texts, batched by length so padding stays small."""
        order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
        outputs = [""] * len(sources)
        size = self.config.infer.batch_size
        for b in range(0, len(order), size):
            idx = order[b:b + size]
            batch = self.tokenizer([sources[i] for i in idx], return_tensors="pt", padding=True)
            batch = batch.to(self.model.device)
            # Restored text is longer than its stripped input: ế is 3 bytes where e is 1.
            longest = batch["input_ids"].shape[1]
            generated = self.model.generate(**batch, num_beams=num_beams, do_sample=False,
                                            max_length=2 * longest + 8)
            for i, text in zip(idx, self.tokenizer.batch_decode(generated, skip_special_tokens=True)):
                outputs[i] = text
        return outputs
