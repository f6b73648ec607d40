"""The one config schema, shared by training and inference.

A YAML file has five sections (model, text, noise, train, infer). Every key is declared
here with its default; an unknown key is an error that names it, so a typo never
silently falls back to a default. A trained model directory carries the resolved
config as `vidiac.yaml`.
"""
import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

CONFIG_NAME = "vidiac.yaml"


class ConfigError(ValueError):
    """A config file or override that does not fit the schema."""


@dataclass
class ModelConfig:
    init_from: str | None = None  # hub id or local directory to start from; None trains from scratch
    d_model: int = 256
    d_ff: int = 1024
    num_layers: int = 6  # encoder
    num_decoder_layers: int = 2  # byte models want a deep encoder and a light decoder (ByT5 paper)
    num_heads: int = 4
    d_kv: int = 64
    dropout: float = 0.0
    max_bytes: int = 512  # longest input or target sequence, in bytes


@dataclass
class TextConfig:
    # traditional: hòa, thủy (most of the corpus); modern: hoà, thuỷ; keep: as written.
    tone_style: str = "traditional"


@dataclass
class NoiseConfig:
    # Relative weights of the base degradations; each training segment draws one.
    strip_all: float = 0.7  # typed without a Vietnamese keyboard
    strip_some: float = 0.3
    latin_ocr: float = 0.7  # OCR without a Vietnamese model
    vietnamese_ocr: float = 0.3  # OCR with one
    fitted_ocr: float = 0.0  # a real engine's errors, drawn from confusion models fitted to it
    # The rest are chances and rates, between 0 and 1.
    strip_some_rate: float = 0.5  # share of marked letters stripped in strip_some
    latin_ocr_rate: float = 0.3  # share of letters with a known misreading that get it, not just lose marks
    vietnamese_ocr_rate: float = 0.05  # share of vowels, d and known letter groups misread
    # OCR artefacts beyond the marks, added to segments with an OCR base degradation.
    insert_delete: float = 0.5  # chance that a segment gets letters dropped and letters inserted
    insert_delete_rate: float = 0.02  # chance, per letter, of each
    stray_symbols: float = 0.3  # chance that a segment gets symbols inside words
    stray_symbols_rate: float = 0.03  # share of its words that get one
    # Layout, the same in input and target.
    upper_line: float = 0.05  # chance that a line is uppercased (headers), before degradation
    wrap: float = 0.3  # chance that a segment is hard-wrapped at 40-100 characters, as on a page
    hyphenate: float = 0.1  # chance that a wrapped line ends in a word split by a hyphen
    # Confusion models for fitted_ocr (`vidiac-ocr-pairs fit`), one per engine; each segment draws one.
    fitted_ocr_models: list[str] = field(default_factory=list)
    # Real OCR output: the share of training segments swapped for line pairs of these files
    # (`vidiac-ocr-pairs build --split train`), Tesseract's text beside the printed text.
    ocr_pairs: float = 0.0
    ocr_pairs_files: list[str] = field(default_factory=list)

    WEIGHTS: ClassVar[tuple[str, ...]] = ("strip_all", "strip_some", "latin_ocr", "vietnamese_ocr", "fitted_ocr")

    def __post_init__(self):
        for f in dataclasses.fields(self):
            if f.type is not float:
                continue
            value, weight = getattr(self, f.name), f.name in self.WEIGHTS
            if not 0 <= value <= (float("inf") if weight else 1):
                expected = "a weight of 0 or more" if weight else "a value between 0 and 1"
                raise ConfigError(f"noise.{f.name}: expected {expected}, got {value!r}")
        if not any(getattr(self, w) > 0 for w in self.WEIGHTS):
            raise ConfigError(f"noise: at least one degradation needs a positive weight ({', '.join(self.WEIGHTS)})")
        if self.fitted_ocr and not self.fitted_ocr_models:
            raise ConfigError("noise.fitted_ocr: needs noise.fitted_ocr_models, "
                              "the files `vidiac-ocr-pairs fit` wrote")
        if self.ocr_pairs and not self.ocr_pairs_files:
            raise ConfigError("noise.ocr_pairs: needs noise.ocr_pairs_files, the files `vidiac-ocr-pairs build` wrote")


@dataclass
class Corpus:
    path: str
    weight: float = 1.0
    # How many times the lexicon counts each of its paragraphs' tokens, pairs and triples (its
    # forms once), so that a corpus keeps its say beside a larger one (models/default: news 2).
    lexicon_weight: int = 1


@dataclass
class TrainConfig:
    corpora: list[Corpus] = field(default_factory=list)
    max_lines: int | None = None  # read only the first N lines of each corpus (quick runs)
    # Lists of administrative units (flat-divisions.json, mapping.json) whose names the lexicon
    # also counts, in the phrases documents write them in (`UBND xã Ba Bích`): names are rare in
    # the corpus, and every commune's report starts with one.
    gazetteers: list[str] = field(default_factory=list)
    # A segment table (`vidiac-train CONFIG --build-table`): the splits built once where the
    # corpus is, read in seconds where training runs; at most table_rows training segments.
    table: str | None = None
    table_rows: int | None = None
    dev_per_mille: int = 5  # paragraphs whose hash falls here are dev...
    test_per_mille: int = 5  # ...or test; never trained on
    segment_min_bytes: int = 64
    segment_max_bytes: int = 512
    eval_samples: int = 200
    output_dir: str = "runs/model"
    seed: int = 1234
    batch_size: int = 32
    grad_accum: int = 1
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 200
    lr_scheduler: str = "cosine"  # cosine, linear or constant, after the warmup, to 0 by max_steps or max_minutes
    max_steps: int = 1000
    # Wall-clock budget of the whole run: data, training, final evaluation and save.
    max_minutes: float | None = None
    reserve_minutes: float = 0.5  # kept for the final evaluation and save (more if evaluations took longer)
    eval_steps: int = 500
    save_steps: int = 500
    logging_steps: int = 50
    save_total_limit: int = 2
    dataloader_workers: int = 0
    torch_compile: bool = False  # GPU: compile the model; batches are then padded to multiples of 64 bytes
    lexicon_segments: int = 200_000  # training segments counted for the decoding lexicon

    SCHEDULES: ClassVar[tuple[str, ...]] = ("cosine", "linear", "constant")

    def __post_init__(self):
        if self.lr_scheduler not in self.SCHEDULES:
            raise ConfigError(f"train.lr_scheduler: expected one of {', '.join(self.SCHEDULES)}, "
                              f"got {self.lr_scheduler!r}")


@dataclass
class InferConfig:
    batch_size: int = 16
    num_beams: int = 1
    chunk_bytes: int = 384  # the model's inputs are cut at line or sentence boundaries below this
    # The prior reads spans of up to this many bytes (whole lines where they fit), so that a word
    # at a chunk's edge keeps the words beside it as context.
    prior_bytes: int = 2000
    # skeleton: output letters are variants of the input's (a -> ấ), words among the forms seen
    # in training; ocr: also known OCR misreadings (4 -> ã, 1 -> l); none: free generation.
    constraint: str = "skeleton"
    # Weight of the lexicon's token-trigram prior beside the model's scores (shallow fusion); 0: the model alone.
    prior_weight: float = 1.0
    # A word whose best form has at least this probability under the prior alone takes it without
    # the model, which reads only the stretches around the other words, `context_words` each
    # side (the trigram's reach is 2). 1.0: the model reads everything.
    sure_prior: float = 0.9
    context_words: int = 6
    # OCR misreadings that change letters (`cia` -> của, correction.py): the channel's error rates
    # are scaled by this (0: no correction), and a word is rewritten where its correction has at
    # least probability sure_correction given its line.
    ocr_severity: float = 1.0
    sure_correction: float = 0.9
    # A word the lexicon does not know (`cdc`, `h6`) is wrong as printed: it takes its likeliest
    # correction where that has at least this probability given its line, and beats the word as
    # printed (chosen on the dev sets: 0.3 and 0.5 alike, above any at 0.9).
    sure_unknown: float = 0.5
    # A page read from its image, with the engine's confidence in each character
    # (correction.Scanned), is corrected at least at this share of the channel's error rates,
    # however well it reads: the engine's doubt says where to look (chosen on the dev ladder). 0: as any text.
    scanned_correction: float = 0.1
    # A document that writes the marks of nearly every word that needs them (a Vietnamese engine,
    # a Vietnamese keyboard) makes few unknown words, and what it misreads are real words
    # (`bệ` for hệ): it is corrected at least at this share of the channel's error rates. 0: as any text.
    marked_correction: float = 0.1
    # How a word is written is evidence of its form: another form weighs this times the share of
    # the document's marked words that are no form the lexicon knows (an engine that misreads
    # marks writes many), or of its words that need marks written without, at most 1 (no
    # evidence). 0: as written, always; a large value: never evidence.
    mark_doubt: float = 2.0
    # The prior takes a token of OCR to be misread (Lexicon.tables) with this times the share of
    # the document's words that, once corrected, the lexicon does not know, times how much it read
    # like OCR before correction (0 for typed text), at most 1 (chosen on the dev OCR sets: 2, 4, 8).
    prior_noise: float = 4.0

    def __post_init__(self):
        for name in ("sure_prior", "sure_correction", "sure_unknown"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigError(f"infer.{name}: expected a probability above 0 and at most 1, "
                                  f"got {getattr(self, name)!r}")
        if self.prior_bytes < self.chunk_bytes:
            raise ConfigError(f"infer.prior_bytes: expected at least infer.chunk_bytes ({self.chunk_bytes}), "
                              f"got {self.prior_bytes!r}")
        if self.mark_doubt < 0:
            raise ConfigError(f"infer.mark_doubt: expected 0 or more, got {self.mark_doubt!r}")
        if self.prior_noise < 0:
            raise ConfigError(f"infer.prior_noise: expected 0 or more, got {self.prior_noise!r}")
        for name in ("scanned_correction", "marked_correction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"infer.{name}: expected 0 to 1, got {getattr(self, name)!r}")
        if self.ocr_severity < 0:
            raise ConfigError(f"infer.ocr_severity: expected 0 or more, got {self.ocr_severity!r}")
        if self.context_words < 2:
            raise ConfigError("infer.context_words: expected 2 or more (the word trigram's reach), "
                              f"got {self.context_words!r}")


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    text: TextConfig = field(default_factory=TextConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    infer: InferConfig = field(default_factory=InferConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / CONFIG_NAME
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path


def _build(cls, data: Any, where: str):
    if dataclasses.is_dataclass(cls):
        if not isinstance(data, dict):
            raise ConfigError(f"{where or 'config'}: expected a mapping, got {data!r}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = [k for k in data if k not in fields]
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(fields)}"
            raise ConfigError(f"unknown key {where + '.' if where else ''}{key}{hint}")
        kwargs = {k: _build(fields[k].type, v, f"{where}.{k}".lstrip(".")) for k, v in data.items()}
        return cls(**kwargs)
    return _check_value(cls, data, where)


def _check_value(tp, value, where):
    origin = getattr(tp, "__origin__", None)
    args = getattr(tp, "__args__", ())
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if args and type(None) in args:  # X | None
        if value is None:
            return None
        return _check_value(next(a for a in args if a is not type(None)), value, where)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float, str, bool) and not (isinstance(value, tp) and not (tp is int and isinstance(value, bool))):
        raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
    return value


def _set_dotted(data: dict, assignment: str) -> None:
    """`train.max_steps=10` -> data['train']['max_steps'] = 10 (value parsed as YAML)."""
    if "=" not in assignment:
        raise ConfigError(f"override {assignment!r}: expected KEY=VALUE, e.g. train.max_steps=100")
    key, value = assignment.split("=", 1)
    *parents, leaf = key.strip().split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {assignment!r}: {p} is not a section")
    node[leaf] = yaml.safe_load(value)


def from_dict(data: dict) -> Config:
    return _build(Config, data or {}, "")


def load_config(path: str | Path, overrides: list[str] = ()) -> Config:
    """Read a YAML config (or a model directory's `vidiac.yaml`), apply KEY=VALUE overrides."""
    path = Path(path)
    if path.is_dir():
        path = path / CONFIG_NAME
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections")
    for assignment in overrides:
        _set_dotted(data, assignment)
    try:
        return from_dict(data)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
