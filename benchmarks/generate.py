"""The model as other tools serve it: `model.generate` alone, and with vidiac's SkeletonConstraint.

A user of transformers gets the model without vidiac's prior, corrector and settling. This
measures what `generate` restores then, greedily, on the first documents of the stripped
sets, cut into the chunks of the model's window as vidiac cuts them.
"""
import time

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from vidiac.infer import SkeletonConstraint, load_config
from vidiac.infer.chunking import split_text
from vidiac.infer.lexicon import Lexicon
from vidiac.train.metrics import scores

BATCH = 32


def generate_scores(model_dir: str, sets, docs: int, threads: int) -> dict[str, dict[str, dict]]:
    """Per set, per way ("alone", "constrained"): word accuracy and chars/s of greedy generate."""
    torch.set_num_threads(threads)
    cfg = load_config(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()
    lexicon = Lexicon.load(model_dir)  # once: SkeletonConstraint.from_pretrained would read it per batch
    results = {}
    for s in sets:
        pairs = [(src[a:b], tgt[a:b]) for src, tgt in zip(s.sources[:docs], s.targets[:docs])
                 for a, b in split_text(src, cfg.infer.chunk_bytes)]  # stripping keeps every character's place
        results[s.name] = {}
        for way in ("alone", "constrained"):
            outputs, start = [], time.perf_counter()
            for i in range(0, len(pairs), BATCH):
                texts = [src for src, _ in pairs[i:i + BATCH]]
                batch = tokenizer(texts, return_tensors="pt", padding=True)
                processors = [SkeletonConstraint(texts, lexicon)] if way == "constrained" else []
                with torch.inference_mode():
                    out = model.generate(**batch, do_sample=False, num_beams=1, logits_processor=processors,
                                         max_new_tokens=2 * batch.input_ids.shape[1] + 7)
                outputs += tokenizer.batch_decode(out, skip_special_tokens=True)
            seconds = time.perf_counter() - start
            results[s.name][way] = {**scores(outputs, [t for _, t in pairs]),
                                    "chars_s": sum(len(src) for src, _ in pairs) / seconds, "chunks": len(pairs)}
    return results


def table(results: dict, docs: int) -> list[str]:
    names = list(results)
    return [
        "## The model through generate", "",
        f"`AutoModelForSeq2SeqLM.generate`, greedy, on the first {docs} documents of each set cut into the model's "
        "window as vidiac cuts them: the model alone, as other tools serve it, and with "
        "`logits_processor=[SkeletonConstraint.from_pretrained(model_dir, texts)]` (the lexicon's forms, no prior). "
        "Word accuracy, and chars/s in this process.", "",
        "| generate | " + " | ".join(names) + " | chars/s |", "|---|" + "---|" * (len(names) + 1),
        *(f"| {way} | " + " | ".join(f"{results[n][way]['word_accuracy']:.4f}" for n in names)
          + f" | {sum(results[n][way]['chars_s'] for n in names) / len(names):,.0f} |"
          for way in ("alone", "constrained")),
    ]
