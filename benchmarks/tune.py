"""Choose an `infer` setting on the dev split: a model's word accuracy and speed at several values.

    python benchmarks/tune.py --model models/default prior_weight=0,0.5,1,2

The documents are the dev split's (the benchmark scores the test split), degraded as the
benchmark's synthetic sets are, and with --ocr-pairs Tesseract's output of dev paragraphs
(vidiac-ocr-pairs build --split dev); set the chosen value in the model's vidiac.yaml.
"""
import argparse
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sets import documents, ladder_sets, synthetic_sets, tesseract_sets  # noqa: E402

from vidiac.infer import Restorer, load_config  # noqa: E402
from vidiac.train.metrics import scores  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(HERE.parent / "models" / "default"))
    parser.add_argument("setting", help="an infer setting and the values to try: prior_weight=0,1,2")
    parser.add_argument("--legal", default=str(HERE.parent.parent / "shared/corpus/legal.txt.xz"))
    parser.add_argument("--news", default=str(HERE.parent.parent / "shared/corpus/news.txt.xz"))
    parser.add_argument("--docs", type=int, default=20, help="dev documents of 1-2 KB per corpus")
    parser.add_argument("--ocr-pairs",
                        help="JSONL of Tesseract pairs of dev paragraphs (vidiac-ocr-pairs build --split dev)")
    parser.add_argument("--ladder",
                        help="JSONL of scan-quality ladder pages of dev paragraphs (vidiac-ladder build --split dev)")
    parser.add_argument("--only", help="restore only the sets whose name holds this text")
    parser.add_argument("--scanned", action="store_true",
                        help="restore the ladder's pages with what the engine knew of each character, as from images")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", default=str(HERE / "cache"))
    args = parser.parse_args(argv)
    key, _, values = args.setting.partition("=")
    cfg = load_config(args.model)
    if not hasattr(cfg.infer, key) or not values:
        parser.error(f"{args.setting!r}: expected an infer setting and values, as prior_weight=0,1,2")
    kind = type(getattr(cfg.infer, key))
    torch.set_num_threads(args.threads)
    docs = documents({"legal": args.legal, "news": args.news}, args.docs, cfg, Path(args.cache), split="dev")
    sets = [s for s in synthetic_sets(docs) + tesseract_sets(args.ocr_pairs, cfg, split="dev")
            + ladder_sets(args.ladder, split="dev") if s.sources and (args.only or "") in s.name]
    print(f"| {key} | " + " | ".join(s.name for s in sets) + " | chars/s |")
    print("|---|" + "---|" * (len(sets) + 1))
    for value in map(kind, values.split(",")):
        restorer = Restorer.from_pretrained(args.model, **{key: value})  # afresh: its lexicon caches what it looked up
        row, chars, start = [], 0, time.perf_counter()
        for s in sets:
            sources = s.scanned if args.scanned and s.scanned else s.sources
            row.append(scores(restorer.restore_many(sources), s.targets)["word_accuracy"])
            chars += sum(map(len, s.sources))
        speed = chars / (time.perf_counter() - start)
        print(f"| {value} | " + " | ".join(f"{a:.4f}" for a in row) + f" | {speed:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
