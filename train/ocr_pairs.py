"""(OCR output, clean text) pairs: corpus paragraphs rendered as scanned pages and read by Tesseract.

Pages are laid out here, so the clean text of every printed line is known. Each page gets
a seeded style (font, size, line pitch, ink, stroke weight, blur, tilt, down-scaling, speckle)
and is read by each Tesseract language model. Tesseract's word boxes are mapped back through
the tilt and scaling to page coordinates, and each word goes to the printed line nearest
it, so merged, split or dropped lines never shift the pairing. A page is dropped for an
engine (and counted) when a printed line got no words or the page reads as garbage.

    vidiac-ocr-pairs build --corpus ../shared/corpus/legal.txt.xz --lines 600 -o pairs.jsonl
    vidiac-ocr-pairs fit pairs.jsonl --engine vie -o confusion_vie.json
    vidiac-ocr-pairs report pairs.jsonl
"""
import argparse
import functools
import io
import json
import lzma
import math
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein
from tqdm import tqdm

from vidiac.infer.config import Config, ConfigError, TrainConfig, load_config
from vidiac.infer.correction import CHANNEL_NAME
from vidiac.infer.vietnamese import normalize, set_tone_style

from .confusion_model import ConfusionModel, write_channel
from .corpus import split_of
from .ocr_report import compare, format_report

# Serif faces dominate printed decrees; a sans for letters and forms.
FONTS = {
    "liberation-serif": "LiberationSerif-Regular.ttf",  # Times New Roman metrics, the usual face
    "dejavu-serif": "DejaVuSerif.ttf",
    "liberation-sans": "LiberationSans-Regular.ttf",  # Arial metrics
}
FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts"]
FONT_PACKAGES = "fonts-liberation2 fonts-dejavu-core"  # fonts-liberation (1.x) has no Vietnamese letters
PAGE_WIDTH = 1700  # pixels before down-scaling: an A4 page at 200 dpi
RENDER_DPI = 200
MAX_PAGE_CER = 0.5  # a page read worse than this is noise, not text with errors


class PairsError(Exception):
    """A user or setup problem, reported in one line without a traceback."""


def _covers_vietnamese(path: Path) -> bool:
    font = ImageFont.truetype(str(path), 40)
    missing = bytes(font.getmask("\u0378"))  # unassigned: drawn as the font's missing-glyph box
    return all(bytes(font.getmask(ch)) != missing for ch in "ựẫỷđơẶ")


@functools.cache
def font_file(file: str) -> str:
    """The installed copy of a font file (one of FONTS, say) that has every Vietnamese letter."""
    for folder in FONT_DIRS:
        for path in sorted(Path(folder).expanduser().rglob(file)):
            if _covers_vietnamese(path):
                return str(path)
    raise PairsError(f"no {file} with Vietnamese letters under {', '.join(FONT_DIRS)}: "
                     f"apt-get install {FONT_PACKAGES}")


def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_file(FONTS[name]), size)


def page_style(rng: random.Random) -> dict:
    """One page's look. Sizes are at render resolution; `scale` then shrinks the whole page."""
    size = rng.randint(28, 44)
    return {
        "font": rng.choice(sorted(FONTS)),
        "size": size,
        "pitch": round(size * rng.uniform(1.35, 1.7)),
        "margin": rng.randint(60, 160),
        "lines": rng.randint(12, 32),
        "ink": rng.randint(0, 90),
        "paper": rng.randint(205, 255),
        "stroke": rng.choices(["normal", "bold", "faded"], [0.6, 0.2, 0.2])[0],  # ink spread or starved
        "blur": round(rng.uniform(0.0, 1.4), 2),
        "angle": round(rng.uniform(-1.2, 1.2), 2),
        "scale": round(rng.uniform(0.45, 1.0), 2),
        "speckle": round(rng.uniform(0.0, 14.0), 1),
        "seed": rng.getrandbits(32),
    }


def wrap(paragraph: str, font: ImageFont.FreeTypeFont, width: int, indent: int = 0) -> list[str]:
    """Greedy line breaks at spaces by rendered width, the first line `indent` pixels narrower;
    a word wider than the line is cut."""
    lines, line = [], ""
    for word in paragraph.split():
        while font.getlength(word) > width:
            cut = next((i for i in range(len(word) - 1, 1, -1) if font.getlength(word[:i]) <= width), 1)
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        if line and font.getlength(f"{line} {word}") > width - (0 if lines else indent):
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line] if line else lines


def read_corpus(path: str) -> list[bytes]:
    """Every line of a `.txt` or `.txt.xz` corpus, as UTF-8 bytes (a quarter of the memory of
    str for Vietnamese); decoded only when used."""
    if not Path(path).is_file():
        raise PairsError(f"corpus {path}: no such file")
    with (lzma.open if path.endswith(".xz") else open)(path, "rb") as f:
        return f.read().splitlines()


def plan_pages(lines: list[bytes], n_lines: int, split: str, per_mille: tuple[int, int], seed: int):
    """Pages of consecutive paragraphs of `split` from random places in the corpus.

    Yields (page number, style, blocks); a block is the printed lines of one paragraph. Each
    corpus line is used once; stops after `n_lines` printed lines or when the split runs out.
    """
    rng = random.Random(seed)
    used = set()
    printed = page = 0
    while printed < n_lines and len(used) < len(lines):
        style = page_style(rng)
        font = load_font(style["font"], style["size"])
        width = PAGE_WIDTH - 2 * style["margin"]
        room = min(style["lines"], n_lines - printed)
        blocks = []
        i = rng.randrange(len(lines))
        while room and len(used) < len(lines):
            while i in used:
                i = (i + 1) % len(lines)
            used.add(i)
            try:
                paragraph = normalize(lines[i].decode("utf-8").strip())
            except UnicodeDecodeError as e:
                raise PairsError(f"corpus line {i + 1}: not UTF-8 at byte {e.start}") from None
            i = (i + 1) % len(lines)
            if not paragraph or split_of(paragraph, *per_mille) != split:
                continue
            block = wrap(paragraph, font, width)[:room]  # a paragraph running off the page is cut there
            blocks.append(block)
            room -= len(block)
        if blocks:
            printed += sum(map(len, blocks))
            yield page, style, blocks
            page += 1


def render(style: dict, blocks: list[list[str]]) -> tuple[Image.Image, list[float]]:
    """The degraded page and the vertical centre of each printed line before tilt and scaling."""
    rng = random.Random(style["seed"])
    font = load_font(style["font"], style["size"])
    n = sum(map(len, blocks))
    top, pitch = style["margin"], style["pitch"]
    page = Image.new("L", (PAGE_WIDTH, 2 * top + n * pitch), style["paper"])
    draw = ImageDraw.Draw(page)
    ascent, descent = font.getmetrics()
    centres = []
    for k, line in enumerate(line for block in blocks for line in block):
        y = top + k * pitch
        ink = min(255, max(0, style["ink"] + rng.randint(-25, 25)))  # uneven inking from line to line
        draw.text((style["margin"], y), line, font=font, fill=ink)
        centres.append(y + (ascent + descent) / 2)
    if style["stroke"] != "normal":
        page = page.filter(ImageFilter.MinFilter(3) if style["stroke"] == "bold" else ImageFilter.MaxFilter(3))
    if style["blur"]:
        page = page.filter(ImageFilter.GaussianBlur(style["blur"]))
    page = page.rotate(style["angle"], resample=Image.Resampling.BICUBIC, fillcolor=style["paper"])
    w, h = page.size
    page = page.resize((round(w * style["scale"]), round(h * style["scale"])), Image.Resampling.BILINEAR)
    pixels = np.asarray(page, dtype=np.float32)
    pixels += np.random.default_rng(style["seed"]).normal(0.0, style["speckle"], pixels.shape)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8)), centres


def tesseract_words(image: Image.Image, engine: str, psm: int, dpi: int) -> list[tuple[float, float, str]]:
    """(x centre, y centre, text) of each word Tesseract reads, in image pixels."""
    png = io.BytesIO()
    image.save(png, format="PNG")
    done = subprocess.run(["tesseract", "stdin", "stdout", "-l", engine, "--psm", str(psm), "--dpi", str(dpi), "tsv"],
                          input=png.getvalue(), capture_output=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    if done.returncode:
        raise PairsError(f"tesseract -l {engine} failed: {done.stderr.decode(errors='replace').strip()}")
    words = []
    for row in done.stdout.decode("utf-8").splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) == 12 and cols[0] == "5" and cols[11].strip():
            left, top, width, height = map(int, cols[6:10])
            words.append((left + width / 2, top + height / 2, normalize(cols[11].strip())))
    return words


def to_page(x: float, y: float, style: dict, size: tuple[int, int]) -> tuple[float, float]:
    """A point of the scanned image back on the untilted, full-size page."""
    x, y = x / style["scale"], y / style["scale"]
    cx, cy = size[0] / 2, size[1] / 2
    a = math.radians(style["angle"])  # Pillow turns counter-clockwise on screen (y down)
    dx, dy = x - cx, y - cy
    return cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a)


def align(words, centres: list[float], style: dict, size: tuple[int, int]) -> tuple[list[list], int]:
    """The OCR words of each printed line, left to right, and the count of stray words (specks
    read in the margins, farther than a line pitch from any line); `words`: (x, y, text, ...)."""
    placed = [[] for _ in centres]
    stray = 0
    for word in words:
        px, py = to_page(word[0], word[1], style, size)
        k = min(range(len(centres)), key=lambda i: abs(centres[i] - py))
        if abs(centres[k] - py) > style["pitch"]:
            stray += 1
        else:
            placed[k].append((px, word))
    return [[w for _, w in sorted(line, key=lambda p: p[0])] for line in placed], stray


def line_texts(lines: list[list]) -> list[str]:
    return [" ".join(w[2] for w in line) for line in lines]


def ocr_page(job) -> dict:
    """Render one page, read it with every engine; records per paragraph block, drops per engine."""
    page, style, blocks, engines, psm, split = job
    image, centres = render(style, blocks)
    full = (PAGE_WIDTH, 2 * style["margin"] + len(centres) * style["pitch"])
    clean = [line for block in blocks for line in block]
    records, dropped, stray = [], {}, 0
    for engine in engines:
        words = tesseract_words(image, engine, psm, round(RENDER_DPI * style["scale"]))
        placed, n_stray = align(words, centres, style, full)
        read = line_texts(placed)
        stray += n_stray
        if not all(read):
            dropped[engine] = "line not read"
            continue
        if Levenshtein.normalized_distance("\n".join(read), "\n".join(clean)) > MAX_PAGE_CER:
            dropped[engine] = "page unreadable"
            continue
        k = 0
        for block in blocks:
            records.append({"source": "\n".join(read[k:k + len(block)]), "target": "\n".join(block),
                            "engine": engine, "split": split, "page": page,
                            **{key: style[key] for key in ("font", "stroke", "blur", "angle", "scale")},
                            "size": round(style["size"] * style["scale"], 1)})
            k += len(block)
    return {"lines": len(clean), "records": records, "dropped": dropped, "stray": stray}


def check_tesseract(engines: list[str]) -> None:
    if not shutil.which("tesseract"):
        raise PairsError("tesseract not found: apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-vie")
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split("\n")[1:]
    missing = [e for e in engines if e not in listed]
    if missing:
        raise PairsError(f"tesseract has no language data for {', '.join(missing)}: "
                         f"apt-get install {' '.join('tesseract-ocr-' + e for e in missing)}")


def build(corpus: str, out: str, n_lines: int, engines: list[str], split: str = "train",
          per_mille: tuple[int, int] = (5, 5), workers: int = 1, seed: int = 0, psm: int = 6) -> dict:
    """Write the pairs JSONL; returns counts: lines printed, records per engine, pages dropped."""
    check_tesseract(engines)
    lines = read_corpus(corpus)
    jobs = ((page, style, blocks, engines, psm, split)
            for page, style, blocks in plan_pages(lines, n_lines, split, per_mille, seed))
    stats = {"pages": 0, "lines": 0, "kept_lines": Counter(), "dropped": Counter(), "stray_words": 0}
    start = time.monotonic()
    with Pool(workers) as pool, open(out, "w", encoding="utf-8") as f, \
            tqdm(total=n_lines, unit="line", desc="OCR pairs", disable=None) as bar:
        for result in pool.imap(ocr_page, jobs):
            for record in result["records"]:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                stats["kept_lines"][record["engine"]] += record["target"].count("\n") + 1
            for engine, reason in result["dropped"].items():
                stats["dropped"][f"{engine}: {reason}"] += 1
            stats["pages"] += 1
            stats["lines"] += result["lines"]
            stats["stray_words"] += result["stray"]
            bar.update(result["lines"])
    stats["seconds"] = round(time.monotonic() - start, 1)
    if not stats["lines"]:
        raise PairsError(f"corpus {corpus}: no {split} paragraphs")
    return stats


def read_pairs(path: str) -> list[dict]:
    records = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    record = None
                if not isinstance(record, dict) or not {"source", "target", "engine"} <= record.keys():
                    raise PairsError(f"{path}:{n}: not a pair record (JSON with source, target, engine)")
                records.append(record)
    except FileNotFoundError:
        raise PairsError(f"{path}: no such file") from None
    return records


def pair_segments(cfg: Config) -> list[tuple[str, str]]:
    """(OCR text, clean text) training segments from `noise.ocr_pairs_files`: runs of a record's
    consecutive lines that fit train.segment_max_bytes and the model's window on both sides (a
    longer line is left out). Dev and test text is never trained on: a file built from another
    split is an error, and a record whose text falls in dev or test under this config (a
    paragraph cut at a page's end hashes anew) is left out, and counted on stderr."""
    tc = cfg.train
    limit = min(tc.segment_max_bytes, cfg.model.max_bytes)
    segments, held_out = [], 0

    def fits(lines: list[str]) -> bool:
        return len("\n".join(lines).encode()) <= limit

    for path in cfg.noise.ocr_pairs_files:
        for n, record in enumerate(read_pairs(path), 1):
            if record.get("split", "train") != "train":
                raise PairsError(f"{path}:{n}: built from the {record['split']} split; training pairs must come "
                                 f"from the training split (vidiac-ocr-pairs build --split train)")
            if split_of(record["target"], tc.dev_per_mille, tc.test_per_mille) != "train":
                held_out += 1
                continue
            ocr = normalize(record["source"]).split("\n")
            clean = set_tone_style(normalize(record["target"]), cfg.text.tone_style).split("\n")
            if len(ocr) != len(clean):
                raise PairsError(f"{path}:{n}: {len(ocr)} OCR lines for {len(clean)} printed lines")
            src, tgt = [], []
            for o, c in zip(ocr, clean):
                if tgt and not (fits(src + [o]) and fits(tgt + [c])):
                    segments.append(("\n".join(src), "\n".join(tgt)))
                    src, tgt = [], []
                if fits([o]) and fits([c]):
                    src.append(o)
                    tgt.append(c)
            if tgt:
                segments.append(("\n".join(src), "\n".join(tgt)))
    if held_out:
        print(f"noise.ocr_pairs_files: {held_out} records left out, their text is in the dev or test split",
              file=sys.stderr)
    return segments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vidiac-ocr-pairs", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="render corpus paragraphs, OCR them, write pairs as JSONL")
    b.add_argument("--corpus", required=True, help="one paragraph per line, .txt or .txt.xz")
    b.add_argument("--split", choices=("train", "dev", "test"), default="train",
                   help="corpus split the paragraphs come from (default: train)")
    b.add_argument("--config", help="config whose train.dev_per_mille/test_per_mille define the split "
                                    "(default: the schema's defaults, as configs/small.yaml)")
    b.add_argument("--lines", type=int, default=1000, help="printed lines to OCR (default: 1000)")
    b.add_argument("--engines", default="eng,vie", help="Tesseract languages, comma-separated (default: eng,vie)")
    b.add_argument("--psm", type=int, choices=(4, 6), default=6, help="Tesseract page segmentation mode (default: 6)")
    b.add_argument("--workers", type=int, default=os.cpu_count(), help="parallel pages (default: all cores)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("-o", "--output", required=True, help="JSONL to write")
    f = commands.add_parser("fit", help="fit a character confusion model to one engine's pairs")
    f.add_argument("pairs", help="JSONL written by build")
    f.add_argument("--engine", required=True, help="the engine whose pairs to fit, e.g. vie")
    f.add_argument("-o", "--output", required=True, help="model JSON to write")
    c = commands.add_parser("channel",
                            help="the OCR channel a model directory corrects misread words with, from fitted models")
    c.add_argument("models", nargs="+", help="confusion model JSON written by fit (one per engine)")
    c.add_argument("--confidence", metavar="LADDER",
                   help="records of vidiac-ladder build, with each word's characters, that the engine's "
                        "confidence in a character is calibrated on")
    c.add_argument("-o", "--output", required=True, help=f"channel JSON to write, as MODEL_DIR/{CHANNEL_NAME}")
    r = commands.add_parser("report", help="Tesseract errors beside the fitted sampler's, per engine")
    r.add_argument("pairs", help="JSONL written by build")
    r.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            engines = [e.strip() for e in args.engines.split(",") if e.strip()]
            if args.lines < 1 or args.workers < 1 or not engines:
                parser.error("--lines and --workers must be at least 1, --engines not empty")
            cfg = load_config(args.config).train if args.config else TrainConfig()
            stats = build(args.corpus, args.output, args.lines, engines, args.split,
                          (cfg.dev_per_mille, cfg.test_per_mille), args.workers, args.seed, args.psm)
            rate = stats["lines"] / max(stats["seconds"], 1e-9)
            print(f"{stats['lines']} lines on {stats['pages']} pages in {stats['seconds']} s ({rate:.2f} lines/s, "
                  f"{len(engines)} engines); kept lines {dict(stats['kept_lines'])}; "
                  f"pages dropped {dict(stats['dropped'])}; stray words {stats['stray_words']}", file=sys.stderr)
        elif args.command == "fit":
            pairs = [(r["source"], r["target"]) for r in read_pairs(args.pairs) if r["engine"] == args.engine]
            if not pairs:
                raise PairsError(f"{args.pairs}: no pairs for engine {args.engine!r}")
            ConfusionModel.fit(pairs).save(args.output)
        elif args.command == "channel":
            try:
                ladder = read_pairs(args.confidence) if args.confidence else None
                if ladder is not None and not all("chars" in r for r in ladder):
                    raise PairsError(f"{args.confidence}: records without each word's characters "
                                     "(write them with vidiac-ladder build)")
                write_channel(args.output, args.models, ladder)
            except ValueError as e:
                raise PairsError(str(e)) from None
        else:
            print(format_report(compare(read_pairs(args.pairs), args.seed)))
    except (PairsError, ConfigError) as e:
        parser.exit(2, f"vidiac-ocr-pairs: {e}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
