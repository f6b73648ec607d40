"""The benchmark's text: held-out sets from the corpora's test split, training lines for the baselines.

A synthetic set is a name, a corpus and a degradation of train/noise.py: the training
Degrader turns each clean document into its source. A Tesseract set holds the records of
`vidiac-ocr-pairs` for one OCR engine. A set that cannot be built yet keeps its name and
a note saying why, and the report lists it as skipped.
"""
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from vidiac.infer.config import Config, NoiseConfig
from vidiac.infer.correction import Scanned
from vidiac.infer.vietnamese import normalize, set_tone_style
from vidiac.train.corpus import split_of, split_paragraphs
from vidiac.train.noise import DEGRADATIONS, Degrader

# (set name, corpus, degradation in train/noise.py). A degradation noise.py lacks skips its set.
SYNTHETIC = [
    ("legal, stripped", "legal", "strip_all"),
    ("news, stripped", "news", "strip_all"),
    ("legal, partly stripped", "legal", "strip_some"),
    ("legal, synthetic OCR (eng)", "legal", "latin_ocr"),  # OCR without a Vietnamese model
    ("legal, synthetic OCR (vie)", "legal", "vietnamese_ocr"),
    ("reports, stripped", "reports", "strip_all"),  # both corpora's paragraphs in the reports' register
]
# Single sentences, one a document, stripped: what users paste. Cut from the held-out documents.
SENTENCE_SETS = [("legal sentences, stripped", "legal"), ("news sentences, stripped", "news")]
SENTENCES = 300  # per corpus, spread over its documents
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
FIELDS = ("source", "target", "engine")  # of a vidiac-ocr-pairs record; others are ignored
OCR_ENGINES = ("eng", "vie")  # Tesseract language models; a pairs file may hold others too
MAX_PARAGRAPH = 3000  # characters; longer lines are tables or run-together text
# The register users restore most, the reports, decisions and letters of communes, districts
# and provinces, is rare among the corpus's laws and news: its paragraphs are found by the
# words that name the bodies and papers of local government.
REPORTS = re.compile(r"\b(?:báo cáo|ubnd|hđnd|[uủ][ỷy] ban nhân dân|hội đồng nhân dân)\b", re.IGNORECASE)


class BenchmarkError(ValueError):
    """A benchmark input that is missing or malformed."""


@dataclass
class BenchSet:
    name: str
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    note: str = ""  # why the set is empty, or a caveat about its text
    # The sources as read from the page images, with what the engine knew of each character
    # (correction.Scanned), where the records carry it (vidiac-ladder build).
    scanned: list[Scanned] = field(default_factory=list)


def cache_key(*parts) -> str:
    """A short hash of `parts`; a Path stands for its resolved name, size and modification time."""
    def part(p):
        return (str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) if isinstance(p, Path) else p
    return hashlib.sha1(repr([part(p) for p in parts]).encode()).hexdigest()[:10]


def clean_documents(corpus: str, count: int, cfg: Config, cache_dir: Path, split: str = "test",
                    reports: bool = False) -> list[str]:
    """`count` documents of 1-2 KB, each of consecutive paragraphs of `split`, spread over the corpus;
    `reports`: of its paragraphs in the register of local government's reports only (REPORTS),
    chosen by that rule, not by hand.

    The split is the model's (its config's dev/test shares), so no document was trained on.
    Read once, then cached in `cache_dir`.
    """
    path = Path(corpus)
    if not path.is_file():
        raise BenchmarkError(f"corpus {corpus}: no such file")
    tc = cfg.train
    key = cache_key(path, tc.dev_per_mille, tc.test_per_mille, count, *(["reports"] if reports else []))
    register = "-reports" if reports else ""
    cache = cache_dir / f"{path.name.split('.')[0]}{register}-{split}-{count}-{key}.jsonl"
    if cache.exists():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(0)
    docs, current, size, goal = [], [], 0, rng.randint(1000, 2000)
    for para in split_paragraphs(corpus, cfg, split):
        if len(para) > MAX_PARAGRAPH or (reports and not REPORTS.search(para)):
            continue
        current.append(para)
        size += len(para)
        if size >= goal:
            docs.append("\n".join(current))
            current, size, goal = [], 0, rng.randint(1000, 2000)
    if current:
        docs.append("\n".join(current))
    if len(docs) > count:  # evenly spaced, so that every part of the corpus is represented
        docs = [docs[i * len(docs) // count] for i in range(count)]
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return docs


def documents(corpora: dict[str, str], count: int, cfg: Config, cache_dir: Path,
              split: str = "test") -> dict[str, list[str]]:
    """Each corpus's clean documents by its name, and under "reports" both corpora's documents
    in the register of local government's reports (clean_documents)."""
    docs = {name: clean_documents(path, count, cfg, cache_dir, split) for name, path in corpora.items()}
    docs["reports"] = [d for path in corpora.values()
                       for d in clean_documents(path, count, cfg, cache_dir, split, reports=True)]
    return docs


def training_lines(corpora: list[str], cfg: Config, max_lines: int | None):
    """Training-split paragraphs of each corpus (the first `max_lines` lines of each), tone-folded."""
    for corpus in corpora:
        for para in split_paragraphs(corpus, cfg, "train", max_lines):
            yield set_tone_style(para, "traditional")


def degradation(name: str) -> Degrader | None:
    """The training Degrader drawing only `name` and changing no layout: `(clean, rng) -> (source,
    target)` with target == clean. Its rates are the schema's defaults, not a model's own, so
    that every model meets the same sets. None while train/noise.py has no such degradation."""
    if name not in DEGRADATIONS:
        return None
    only = {n: float(n == name) for n in DEGRADATIONS}
    return Degrader(NoiseConfig(upper_line=0.0, wrap=0.0, **only))


def synthetic_sets(docs: dict[str, list[str]]) -> list[BenchSet]:
    """Every SYNTHETIC set over the clean documents of its corpus, seeded per document."""
    out = []
    for name, corpus, noise in SYNTHETIC:
        degrade = degradation(noise)
        if degrade is None:
            out.append(BenchSet(name, note=f"train/noise.py has no degradation {noise!r} yet"))
            continue
        pairs = [degrade(clean, random.Random(f"{name}/{i}")) for i, clean in enumerate(docs.get(corpus, []))]
        note = "" if pairs else f"no document of {corpus} in the split"
        out.append(BenchSet(name, [s for s, _ in pairs], [t for _, t in pairs], note))
    strip = degradation("strip_all")
    for name, corpus in SENTENCE_SETS:
        pairs = [strip(clean, random.Random(f"{name}/{i}")) for i, clean in enumerate(sentences(docs[corpus]))]
        out.append(BenchSet(name, [s for s, _ in pairs], [t for _, t in pairs]))
    return out


def sentences(docs: list[str], count: int = SENTENCES) -> list[str]:
    """Up to `count` sentences of three words or more, evenly spread over `docs`: a line cut
    where a sentence ends and the next one starts with a capital."""
    found = []
    for line in (line for doc in docs for line in doc.split("\n")):
        pieces = SENTENCE_END.split(line.strip())
        merged = [pieces[0]]
        for piece in pieces[1:]:
            if piece[:1].isupper():
                merged.append(piece)
            else:
                merged[-1] += " " + piece
        found += [m for m in merged if len(m.split()) >= 3]
    step = max(1, len(found) // count)
    return found[::step][:count]


def tesseract_sets(path: str | None, cfg: Config, split: str = "test") -> list[BenchSet]:
    """One set per OCR engine from a JSONL of {"source", "target", "engine"} records of `split`."""
    if path is None:
        return [BenchSet(f"Tesseract {e} OCR", note="no --ocr-pairs file given (make one with vidiac-ocr-pairs)")
                for e in OCR_ENGINES]
    if not Path(path).is_file():
        raise BenchmarkError(f"--ocr-pairs {path}: no such file")
    tc = cfg.train
    by_engine: dict[str, BenchSet] = {}
    trained_on = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise BenchmarkError(f"{path}:{n}: not JSON: {e}") from None
        if not (isinstance(record, dict) and all(isinstance(record.get(k), str) for k in FIELDS)):
            raise BenchmarkError(f"{path}:{n}: expected an object with string fields source, target and engine")
        engine = record["engine"]
        s = by_engine.setdefault(engine, BenchSet(f"Tesseract {engine} OCR"))
        # A record is one paragraph, wrapped; the split's key ignores whitespace, so it is the paragraph's.
        if split_of(record["target"], tc.dev_per_mille, tc.test_per_mille) != split:
            trained_on[engine] = trained_on.get(engine, 0) + 1
            continue
        s.sources.append(normalize(record["source"]))
        s.targets.append(normalize(record["target"]))
    for engine, s in by_engine.items():
        if engine in trained_on:
            s.note = (f"{trained_on[engine]} of {trained_on[engine] + len(s.targets)} records of {path} left out: "
                      f"their text is not in the model's {split} split (build the pairs with --split {split})")
    for e in OCR_ENGINES:
        by_engine.setdefault(e, BenchSet(f"Tesseract {e} OCR", note=f"{path} has no record with engine {e!r}"))
    return [by_engine[e] for e in sorted(by_engine, key=lambda e: (e not in OCR_ENGINES, e))]


def ladder_sets(path: str | None, split: str = "test") -> list[BenchSet]:
    """One set per scan-quality level and OCR engine from a JSONL of `vidiac-ladder build`: each
    document is one page as the engine read it. Pages of another split are an error."""
    if path is None:
        return []
    if not Path(path).is_file():
        raise BenchmarkError(f"--ladder {path}: no such file")
    sets: dict[tuple[int, str], BenchSet] = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        try:
            record = json.loads(line)
            level, engine, name = int(record["level"]), str(record["engine"]), str(record["level_name"])
            source, target = normalize(record["source"]), normalize(record["target"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise BenchmarkError(f"{path}:{n}: not a record of vidiac-ladder build") from None
        if record.get("split") != split:
            raise BenchmarkError(f"{path}:{n}: a page of the {record.get('split')} split, not {split} "
                                 f"(vidiac-ladder build --split {split})")
        s = sets.setdefault((level, engine), BenchSet(f"ladder {level}: {name}, {engine}"))
        s.sources.append(source)
        s.targets.append(target)
        if "chars" in record:
            s.scanned.append(Scanned(source, [w for line in record["chars"] for w in line]))
    for s in sets.values():
        if len(s.scanned) != len(s.sources):
            s.scanned = []
    return [sets[k] for k in sorted(sets)]
