"""The README.md that travels with a saved model."""
import dataclasses
from datetime import date
from pathlib import Path

from vidiac.infer.config import Config
from vidiac.infer.lexicon import Lexicon


def write_model_card(directory: Path, cfg: Config, metrics: dict, steps: int, parameters: int,
                     lexicon: Lexicon, lexicon_source: str) -> None:
    m, t = cfg.model, cfg.train
    corpora = ", ".join(f"`{Path(c.path).name}` (weight {c.weight})" for c in t.corpora)
    # Weights and chances; the rates are only read where their degradation is drawn.
    noise = ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(cfg.noise).items() if v and not k.endswith("_rate"))
    evals = "\n".join(f"| {k.removeprefix('eval_')} | {v:.4f} |" for k, v in metrics.items()
                      if isinstance(v, float)
                      and k.removeprefix("eval_") in ("word_accuracy", "word_accuracy_nocase", "cer", "loss"))
    channel = "" if not cfg.noise.fitted_ocr_models else f"""
## OCR correction

`ocr-channel.json` holds how the OCR engines of `noise.fitted_ocr_models` misread each character
(`vidiac-ocr-pairs channel`). In a document that reads like OCR, a word is rewritten to a known
word the engine may have misread where the token trigram, reading its line, gives that at least
`infer.sure_correction` ({cfg.infer.sure_correction:g}), with the channel's error rates scaled by
`infer.ocr_severity` ({cfg.infer.ocr_severity:g}; 0 turns correction off).
"""
    (directory / "README.md").write_text(f"""---
language: vi
library_name: transformers
pipeline_tag: text2text-generation
tags: [vidiac, byt5, diacritics, vietnamese]
---
# vidiac diacritic restorer

A byte-level T5 (ByT5 architecture) that restores Vietnamese diacritics in unaccented
or OCR-degraded text. Load it with `vidiac.infer.Restorer.from_pretrained(this_directory)`
or run `vidiac-restore -m this_directory FILE`.

- Parameters: {parameters / 1e6:.1f}M (d_model {m.d_model}, {m.num_layers} encoder and
  {m.num_decoder_layers} decoder layers, {m.num_heads} heads), input window {m.max_bytes} bytes.
- Trained {date.today().isoformat()}, {steps} steps of batch {t.batch_size * t.grad_accum},
  from {m.init_from or 'scratch'}, on {corpora}, degraded on the fly
  (noise: {noise}).
- Tone placement of its output: {cfg.text.tone_style}.
- Full training configuration: `vidiac.yaml`.

## Dev-set scores at the end of training

Dev segments degraded with the training noise mix, {t.eval_samples} at most; free greedy decoding
(the model alone: no constraint, no prior).

| metric | value |
|---|---|
{evals}

## Decoding lexicon

`lexicon.npz` and `lexicon-triples.npz` (in shards over 15 MB) hold {lexicon} of {lexicon_source}.
Constrained decoding restores a known word only to one of its forms, and adds the token-trigram
prior to the model's scores with weight `infer.prior_weight` ({cfg.infer.prior_weight:g}; 0 is the model alone).
A word whose best form the prior alone gives at least `infer.sure_prior` ({cfg.infer.sure_prior:g}) takes it
without the model, which reads only the stretches around the other words ({cfg.infer.context_words} words each side).
A word the lexicon does not know that can be no Vietnamese syllable nor a code in capitals stays as written.
{channel}
## With transformers

The directory loads as any T5 does. Alone the model restores poorly: it is small, and
vidiac's prior and corrector do most of the work. Constrained to the input's letters and
the lexicon's forms, `generate` may pick a wrong mark but never writes a word the input
does not allow (`benchmarks/RESULTS.md`, "The model through generate"):

```python
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
from vidiac.infer import SkeletonConstraint
tok, model = AutoTokenizer.from_pretrained(d), AutoModelForSeq2SeqLM.from_pretrained(d)
batch = tok(texts, return_tensors="pt", padding=True)
out = model.generate(**batch, logits_processor=[SkeletonConstraint.from_pretrained(d, texts)], max_new_tokens=1024)
restored = tok.batch_decode(out, skip_special_tokens=True)
```

## Limits

Trained on legal text and news: it knows formal administrative Vietnamese best. It
restores marks, and corrects the letters of words only as far as its OCR channel explains
them; it does not correct spelling.
""", encoding="utf-8")
