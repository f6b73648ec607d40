"""Segment tables: a config's splits, built once where the corpus is and carried to where training runs.

Segmenting the full corpus takes minutes; a machine lent for minutes cannot spend them so,
and has no corpus anyway. `vidiac-train CONFIG --build-table` writes the splits to the
config's `train.table` folder as Parquet (zstd), with at most `train.table_rows` training
segments (the training split is shuffled, so these are a random sample), and the settings
they were built from. A run whose config names the table reads it in seconds, and refuses a
table built from other settings.
"""
import json
from pathlib import Path

import pyarrow.parquet as pq
from datasets import DatasetDict, load_dataset

from vidiac.infer.config import Config

from .corpus import SPLITS

SETTINGS = "settings.json"
# What decides a table's contents; batch size, which only orders rows within blocks, does not.
_KEYS = ("corpora", "max_lines", "dev_per_mille", "test_per_mille", "segment_min_bytes", "segment_max_bytes",
         "seed", "table_rows")


class TableError(ValueError):
    """A missing segment table, or one built from other settings than the config's."""


def settings(cfg: Config) -> dict:
    data = cfg.to_dict()["train"]
    return {k: data[k] for k in _KEYS}


def write_table(cfg: Config, splits: DatasetDict) -> Path:
    directory = Path(cfg.train.table)
    directory.mkdir(parents=True, exist_ok=True)
    rows = cfg.train.table_rows
    for split in SPLITS:
        data = splits[split]
        if split == "train" and rows is not None:
            data = data.select(range(min(rows, len(data))))
        # Large pages at a high level: tables travel to the GPU machine under a size limit.
        pq.write_table(data.with_format("arrow")[:], directory / f"{split}.parquet", compression="zstd",
                       compression_level=19, data_page_size=8 << 20)
    (directory / SETTINGS).write_text(json.dumps(settings(cfg), indent=1), encoding="utf-8")
    return directory


def read_table(cfg: Config) -> DatasetDict:
    directory = Path(cfg.train.table)
    if not (directory / SETTINGS).is_file():
        raise TableError(f"train.table {directory}: no segment table there; build it where the corpus is, "
                         f"with vidiac-train CONFIG --build-table, and bring the folder along")
    built = json.loads((directory / SETTINGS).read_text(encoding="utf-8"))
    wanted = settings(cfg)
    differ = [f"{k} {built.get(k)!r} (config: {wanted[k]!r})" for k in _KEYS if built.get(k) != wanted[k]]
    if differ:
        raise TableError(f"train.table {directory} was built from other settings: {'; '.join(differ)}; "
                         f"rebuild it with vidiac-train CONFIG --build-table")
    return load_dataset("parquet", data_files={s: str(directory / f"{s}.parquet") for s in SPLITS})
