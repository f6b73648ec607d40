"""A ladder of scan quality: administrative pages printed, scanned at five levels and read by Tesseract.

Each page is laid out as Decree 30/2020/NĐ-CP lays out an administrative document: Times
New Roman 13 pt (Liberation Serif, metric-compatible), the two-column header in bold capitals
(issuing body, `CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM`, the motto, number and date), a bold
centred title, numbered section headings in bold capitals, indented body paragraphs of the
corpus, and the signature block. It is drawn once at 300 dpi and then degraded at every
LEVELS step, from a clean office scan to a fax: resolution, blur, ink spread or starved,
uneven inking, skew, speckle, binarisation and JPEG artefacts. The same pages stand at every
level, so the levels differ in scan quality alone.

Tesseract reads every level with every engine. Its words go to the printed row nearest them
(ocr_pairs.align), so a row the engine dropped is an empty line of the record, and no page
is ever dropped: a poor level is scored on all its text.

    vidiac-ladder build --corpus ../shared/corpus/legal.txt.xz --split test --pages 8 -o ladder-test.jsonl
"""
import argparse
import functools
import io
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from tqdm import tqdm

from vidiac.infer.config import ConfigError, TrainConfig, load_config
from vidiac.infer.vietnamese import normalize

from .corpus import split_of
from vidiac.infer.scans import Reader

from .ocr_pairs import PairsError, align, check_tesseract, font_file, line_texts, read_corpus, wrap

DPI = 300
PAGE = (2480, 3508)  # A4 at 300 dpi
MARGINS = (354, 236, 236, 236)  # left 30 mm, top, right and bottom 20 mm (the decree: 30, 20-25, 15-20, 20-25)
SIZE = 54  # 13 pt at 300 dpi
FACES = {"regular": "LiberationSerif-Regular.ttf", "bold": "LiberationSerif-Bold.ttf",
         "italic": "LiberationSerif-Italic.ttf"}
TITLES = ("BÁO CÁO", "KẾ HOẠCH", "QUYẾT ĐỊNH", "THÔNG BÁO", "TỜ TRÌNH", "CÔNG VĂN")
CODES = ("BC-UBND", "KH-UBND", "QĐ-UBND", "TB-UBND", "TTr-UBND", "UBND-VP")


@dataclass(frozen=True)
class Level:
    name: str
    dpi: int  # scan resolution
    blur: float  # Gaussian sigma at 300 dpi: focus and toner spread
    stroke: int  # ink at 300 dpi: > 0 spread (MinFilter size), < 0 starved (MaxFilter size)
    uneven: float  # depth of low-frequency variation of the ink (0: even)
    skew: float  # the page is turned by up to this many degrees
    noise: float  # Gaussian grain (grey levels) at scan resolution
    specks: float  # share of pixels flipped to black or white dots
    binarize: bool  # thresholded to black and white, as a fax is
    jpeg: int | None  # JPEG quality the scan is saved at


LEVELS = (
    Level("clean 300 dpi", 300, 0.0, 0, 0.0, 0.0, 0.0, 0.0, False, None),
    Level("office 200 dpi", 200, 0.6, 0, 0.1, 0.4, 3.0, 0.0, False, 85),
    Level("photocopy 150 dpi", 150, 1.0, 3, 0.3, 0.8, 6.0, 0.0005, False, 70),
    Level("copy of a copy 120 dpi", 120, 1.2, 0, 0.45, 1.2, 10.0, 0.001, False, 55),
    Level("fax 100 dpi", 100, 1.6, 3, 0.5, 1.6, 8.0, 0.002, True, 50),
    Level("faded copy 120 dpi", 120, 1.4, -3, 0.45, 1.2, 10.0, 0.001, False, 55),  # thin strokes broken up
)


@functools.cache
def font(face: str, size: int = SIZE) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_file(FACES[face]), size)


def units(path: str | None) -> list[tuple[str, str]]:
    """(province, ward) names of the 2025 gazetteer (`flat-divisions.json`), or a few without it."""
    if path and Path(path).is_file():
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
        return [(r["province_name"], r["name"]) for r in rows if r.get("name") and r.get("province_name")]
    return [("Tỉnh Bắc Ninh", "Xã Ba Bích"), ("Tỉnh Hòa Bình", "Phường Thống Nhất"), ("Thành phố Huế", "Xã Phú Vinh")]


def plan(lines: list[bytes], pages: int, split: str, per_mille: tuple[int, int], places: list[tuple[str, str]],
         seed: int) -> list[list[tuple[str, list[tuple[str, str, str]]]]]:
    """The text of each page: rows of (kind, [(face, alignment, text)]); kind is "header" or "body".

    Body text is consecutive paragraphs of `split` from a random place in the corpus; a short
    one becomes a numbered section heading in bold capitals."""
    rng = random.Random(seed)
    out = []
    for _ in range(pages):
        province, ward = rng.choice(places)
        kind = rng.randrange(len(TITLES))
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2019, 2026)
        rows = [("header", [("bold", "left", f"UBND {province.upper()}"),
                            ("bold", "right", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")]),
                ("header", [("bold", "left", f"UBND {ward.upper()}"),
                            ("bold", "right", "Độc lập - Tự do - Hạnh phúc")]),
                ("header", [("regular", "left", f"Số: {rng.randint(1, 399)}/{CODES[kind]}"),
                            ("italic", "right", f"{ward.split(' ', 1)[1]}, ngày {day} tháng {month} năm {year}")]),
                ("header", [("bold", "centre", TITLES[kind])])]
        paragraphs, i, section = [], rng.randrange(len(lines)), 0
        while sum(len(p) for p in paragraphs) < 2000:
            text = normalize(lines[i].decode("utf-8", errors="replace").strip())
            i = (i + 1) % len(lines)
            if text and len(text) < 1500 and split_of(text, *per_mille) == split:
                paragraphs.append(text)
        for text in paragraphs:
            if len(text) < 90:
                section += 1
                rows.append(("body", [("bold", "left", f"{section}. {text.upper()}")]))
            else:
                rows.append(("body", [("regular", "indent", text)]))
        rows += [("header", [("bold", "right", f"TM. ỦY BAN NHÂN DÂN {ward.split(' ', 1)[0].upper()}")]),
                 ("header", [("italic", "left", "Nơi nhận:"), ("bold", "right", "CHỦ TỊCH")])]
        out.append(rows)
    return out


def layout(rows) -> list[list[tuple[str, int, str]]]:
    """The printed rows of a page: per row, its pieces (face, x, text), all cut to fit the page."""
    width = PAGE[0] - MARGINS[0] - MARGINS[2]
    half = width // 2
    printed = []
    for kind, pieces in rows:
        if kind == "body":
            face, align_to, text = pieces[0]
            indent = 2 * SIZE if align_to == "indent" else 0
            for k, line in enumerate(wrap(text, font(face), width, indent)):
                printed.append([(face, MARGINS[0] + (indent if k == 0 else 0), line)])
            continue
        row = []
        for face, align_to, text in pieces:
            f = font(face, SIZE - 4 if kind == "header" and align_to != "centre" else SIZE + 2)
            box = (MARGINS[0], half) if align_to == "left" else (MARGINS[0] + half, half) if align_to == "right" \
                else (MARGINS[0], width)
            while f.getlength(text) > box[1] - 20:  # a long unit name: the next size down
                f = font(face, f.size - 2)
            row.append((f"{face}:{f.size}", round(box[0] + (box[1] - f.getlength(text)) / 2), text))
        printed.append(row)
    return printed


def draw(printed) -> tuple[Image.Image, list[float], int]:
    """The clean 300 dpi page (or several pages' height, where the text runs on), the vertical
    centre of each printed row, and the row pitch."""
    pitch = round(SIZE * 1.45)
    height = max(PAGE[1], MARGINS[1] + MARGINS[3] + len(printed) * pitch)
    page = Image.new("L", (PAGE[0], height), 255)
    pen = ImageDraw.Draw(page)
    centres = []
    for k, row in enumerate(printed):
        y = MARGINS[1] + k * pitch
        for face, x, text in row:
            name, _, size = face.partition(":")
            pen.text((x, y), text, font=font(name, int(size) if size else SIZE), fill=0)
        centres.append(y + SIZE * 0.6)
    return page, centres, pitch


def degrade(page: Image.Image, level: Level, seed: int) -> tuple[Image.Image, float]:
    """The clean page scanned at `level`; returns the scan and the angle it was turned by."""
    rng = np.random.default_rng(seed)
    pixels = np.asarray(page, dtype=np.float32)
    ink = 1.0 - pixels / 255.0  # 1 where fully inked
    if level.uneven:  # toner thick and thin across the page: a smooth field of ink strength
        field = Image.fromarray((rng.random((8, 6)) * 255).astype(np.uint8)).resize(page.size,
                                                                                    Image.Resampling.BICUBIC)
        ink *= 1.0 - level.uneven * np.asarray(field, dtype=np.float32) / 255.0
    paper, toner = 245.0 - rng.uniform(0, 15) * (level.noise > 0), rng.uniform(10, 40) * (level.noise > 0)
    image = Image.fromarray((paper - ink * (paper - toner)).clip(0, 255).astype(np.uint8))
    if level.stroke:
        image = image.filter(ImageFilter.MinFilter(level.stroke) if level.stroke > 0
                             else ImageFilter.MaxFilter(-level.stroke))
    if level.blur:
        image = image.filter(ImageFilter.GaussianBlur(level.blur))
    angle = float(rng.uniform(-level.skew, level.skew))
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=int(paper))
    scale = level.dpi / DPI
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BOX)
    pixels = np.asarray(image, dtype=np.float32)
    if level.noise:
        pixels = pixels + rng.normal(0.0, level.noise, pixels.shape)
    if level.binarize:
        pixels = np.where(pixels < 150 + rng.normal(0, 12, pixels.shape), 0.0, 255.0)
    if level.specks:
        dots = rng.random(pixels.shape)
        pixels[dots < level.specks / 2] = 0.0
        pixels[dots > 1 - level.specks / 2] = 255.0
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    if level.jpeg:
        data = io.BytesIO()
        image.save(data, format="JPEG", quality=level.jpeg)
        image = Image.open(io.BytesIO(data.getvalue())).convert("L")
    return image, angle


def render(rows, level: Level, seed: int) -> tuple[Image.Image, list[str], list[float], dict]:
    """One page at one level: the scan, its printed rows as text, their centres, and the geometry
    that maps the scan's pixels back to the page (ocr_pairs.to_page)."""
    printed = layout(rows)
    page, centres, pitch = draw(printed)
    scan, angle = degrade(page, level, seed)
    text = [" ".join(t for _, _, t in row) for row in printed]
    return scan, text, centres, {"scale": level.dpi / DPI, "angle": angle, "pitch": pitch, "size": page.size}


@functools.cache  # one Tesseract per engine and worker process
def reader(engine: str, psm: int) -> Reader:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # the pages are read in parallel already
    return Reader(engine, psm)


def tesseract_words(scan: Image.Image, engine: str, psm: int, dpi: int) -> list[tuple]:
    """(x centre, y centre, text, characters) of each word Tesseract reads, as vidiac-restore
    reads a scan: each character with its confidence and its other readings (ocrdoc.Word)."""
    words = reader(engine, psm).page(scan, 1, dpi).words
    return [((w.box[0] + w.box[2]) / 2, (w.box[1] + w.box[3]) / 2, normalize(w.text),
             [[c, round(p, 3), {a: round(q, 3) for a, q in alts.items()}] for c, p, alts in w.chars])
            for w in words]


def read_page(job) -> list[dict]:
    page, rows, levels, engines, psm, seed = job
    records = []
    for n, level in levels:
        scan, text, centres, geometry = render(rows, level, seed + 7919 * n)
        for engine in engines:
            placed, stray = align(tesseract_words(scan, engine, psm, level.dpi), centres, geometry, geometry["size"])
            records.append({"source": "\n".join(line_texts(placed)), "target": "\n".join(text), "engine": engine,
                            "level": n, "level_name": level.name, "page": page, "stray_words": stray,
                            "chars": [[w[3] for w in line] for line in placed]})
    return records


def build(corpus: str, out: str, pages: int, engines: list[str], split: str, per_mille: tuple[int, int],
          gazetteer: str | None, workers: int = 1, seed: int = 0, psm: int = 6) -> dict:
    check_tesseract(engines)
    lines = read_corpus(corpus)
    texts = plan(lines, pages, split, per_mille, units(gazetteer), seed)
    jobs = [(p, rows, list(enumerate(LEVELS, 1)), engines, psm, seed * 1_000_003 + p) for p, rows in enumerate(texts)]
    start, count = time.monotonic(), 0
    with Pool(workers) as pool, open(out, "w", encoding="utf-8") as f, \
            tqdm(total=len(jobs), unit="page", desc="ladder", disable=None) as bar:
        for records in pool.imap(read_page, jobs):
            for record in records:
                f.write(json.dumps({**record, "split": split}, ensure_ascii=False) + "\n")
            count += len(records)
            bar.update()
    return {"pages": pages, "records": count, "seconds": round(time.monotonic() - start, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vidiac-ladder", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="lay out pages, scan them at every level, OCR them, write JSONL")
    b.add_argument("--corpus", required=True, help="one paragraph per line, .txt or .txt.xz")
    b.add_argument("--split", choices=("train", "dev", "test"), default="test")
    b.add_argument("--config", help="config whose train.dev_per_mille/test_per_mille define the split")
    b.add_argument("--gazetteer",
                   default=str(Path(__file__).resolve().parents[2] / "shared/lexicons/flat-divisions.json"),
                   help="the 2025 units (flat-divisions.json) that name each page's issuing body")
    b.add_argument("--pages", type=int, default=8)
    b.add_argument("--engines", default="eng,vie")
    b.add_argument("--psm", type=int, choices=(4, 6), default=6)
    b.add_argument("--workers", type=int, default=os.cpu_count())
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("-o", "--output", required=True)
    commands.add_parser("levels", help="print the levels")
    args = parser.parse_args(argv)
    if args.command == "levels":
        for n, level in enumerate(LEVELS, 1):
            print(n, json.dumps(asdict(level)))
        return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if args.pages < 1 or args.workers < 1 or not engines:
        parser.error("--pages and --workers must be at least 1, --engines not empty")
    try:
        cfg = load_config(args.config).train if args.config else TrainConfig()
        stats = build(args.corpus, args.output, args.pages, engines, args.split,
                      (cfg.dev_per_mille, cfg.test_per_mille),
                      args.gazetteer, args.workers, args.seed, args.psm)
    except (PairsError, ConfigError) as e:
        parser.exit(2, f"vidiac-ladder: {e}\n")
    print(f"{stats['records']} records of {stats['pages']} pages in {stats['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
