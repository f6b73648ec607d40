"""Count the word forms, and the tokens, token pairs and token triples of the training text into
the lexicon a model directory carries (see `infer/lexicon.py`), with the names of the
administrative units of `train.gazetteers`.

    python -m vidiac.train.lexicon MODEL_DIR --lines 200000   # (re)count a model's lexicon
"""
import argparse
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from vidiac.infer.config import Config, ConfigError, load_config
from vidiac.infer.lexicon import TOKEN, Lexicon
from vidiac.infer.vietnamese import normalize, set_tone_style, strip_diacritics

from .corpus import split_paragraphs


def build_lexicon(texts: Iterable[str | tuple[str, int]], min_count: int = 2, min_share: float = 0.005,
                  max_forms: int = 12, min_ngram: int = 1) -> Lexicon:
    """Each stripped lowercase word's accented forms, most frequent first, and the counts of
    every token, and of the pairs and triples of neighbouring tokens seen `min_ngram` times or
    more; a text given as (text, weight) counts `weight` times, but its forms once. Every one
    counts: a trigram pruned of the ones seen once loses 0.2 points of word accuracy on
    stripped legal dev text and 0.4 on news.

    A form seen once, or far more rarely than the word's usual form (`quôc` beside `quốc`),
    is more often a typo than a word: it needs `min_count` sightings and `min_share` of the
    most frequent form's.
    """
    counts, ngrams, seen = Counter(), Counter(), Counter()
    for item in texts:
        text, weight = (item, 1) if isinstance(item, str) else item
        for line in normalize(text).lower().split("\n"):
            tokens = TOKEN.findall(line)
            seen.update(tokens)
            grams = [*zip(tokens, tokens[1:]), *zip(tokens, tokens[1:], tokens[2:])]
            for _ in range(weight):  # Counter.update runs in C; a weight is a small integer
                counts.update(tokens)
                ngrams.update(grams)
    forms, top = defaultdict(list), {}
    for word, n in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < min_count:
            break
        if not word.isalpha():
            continue
        key = strip_diacritics(word)
        if key not in forms:
            top[key] = n
        if len(forms[key]) < max_forms and n >= min_share * top[key]:
            forms[key].append(word)
    return Lexicon(dict(forms), dict(counts), {gram: n for gram, n in ngrams.items() if n >= min_ngram})


def _unit(name: str) -> str:
    """A unit's name as a document writes it inside a line: `Xã Ba Bích` -> `xã Ba Bích`."""
    return name[:1].lower() + name[1:]


def gazetteer_lines(path: str) -> Iterator[str]:
    """The names of a gazetteer's units in the phrases documents write them in: alone, after
    `UBND` and `Ủy ban nhân dân`, and with the units above them. Reads the 2025 list of wards and
    provinces (`flat-divisions.json`: a list of {name, province_name}) and the mapping from the
    units before 2025 (`mapping.json`: {ward_mapping: [{old_ward, old_district, old_province, ...}]})."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"train.gazetteers: {path}: {e}") from None
    rows = data.get("ward_mapping", []) if isinstance(data, dict) else data
    chains = set()
    for row in rows:
        names = (row.get("name"), row.get("province_name")) if "name" in row else \
            [(row.get("old_ward"), row.get("old_district"), row.get("old_province")),
             (row.get("new_ward"), row.get("new_province"))]
        for chain in (names if isinstance(names, list) else [names]):
            chains.add(tuple(" ".join(u.split()) for u in chain if u and u.strip()))
    phrases = {}  # each once: a province stands above hundreds of wards
    for chain in sorted(chains):
        for unit in chain:
            phrases.update(dict.fromkeys((_unit(unit), f"UBND {_unit(unit)}", f"Ủy ban nhân dân {_unit(unit)}",
                                          unit.upper())))
        phrases[", ".join(_unit(u) for u in chain)] = None
    yield from phrases


def unit_names(cfg: Config) -> Iterator[str]:
    """The phrases of every gazetteer of `cfg`, placed as its targets are."""
    return (set_tone_style(line, cfg.text.tone_style)
            for path in cfg.train.gazetteers for line in gazetteer_lines(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vidiac.train.lexicon", description="(Re)count a model's lexicon "
                                     "from the training split of the corpora in its vidiac.yaml.")
    parser.add_argument("model", help="model directory")
    parser.add_argument("--lines", type=int, help="read only the first N lines of each corpus")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.model)  # the model's own split and tone style
        paragraphs = ((set_tone_style(para, cfg.text.tone_style), corpus.lexicon_weight)
                      for corpus in cfg.train.corpora
                      for para in split_paragraphs(corpus.path, cfg, "train", args.lines))
        lexicon = build_lexicon(itertools.chain(paragraphs, unit_names(cfg)))
    except ConfigError as e:
        parser.exit(2, f"{parser.prog}: {e}\n")
    lexicon.save(args.model)
    print(f"{args.model}: {lexicon}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
