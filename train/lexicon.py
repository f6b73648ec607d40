"""Count the word forms, word pairs and word triples of the training text into the lexicon a model
directory carries (see `infer/lexicon.py`).

    python -m vidiac.train.lexicon MODEL_DIR --lines 300000   # (re)count a model's lexicon
"""
import argparse
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from vidiac.infer.config import load_config
from vidiac.infer.lexicon import Lexicon
from vidiac.infer.vietnamese import normalize, set_tone_style, strip_diacritics

from .corpus import split_paragraphs

_TOKEN = re.compile(r"[^\W_]+")  # decoding's words: letters and digits (`năm 2024`)


def build_lexicon(texts: Iterable[str], min_count: int = 2, min_share: float = 0.005,
                  max_forms: int = 12, min_pair: int = 3, min_triple: int = 3) -> Lexicon:
    """Each stripped lowercase word's accented forms, most frequent first, with their counts,
    and the counts of neighbouring word pairs seen `min_pair` times or more and of triples
    seen `min_triple` times or more.

    A form seen once, or far more rarely than the word's usual form (`quôc` beside `quốc`),
    is more often a typo than a word: it needs `min_count` sightings and `min_share` of the
    most frequent form's.
    """
    counts, pairs, triples = Counter(), Counter(), Counter()
    for text in texts:
        for line in normalize(text).lower().split("\n"):
            tokens = _TOKEN.findall(line)
            counts.update(tokens)
            pairs.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))
            triples.update(f"{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:]))
    forms, top, kept = defaultdict(list), {}, {}
    for word, n in counts.most_common():
        if n < min_count:
            break
        if not word.isalpha():
            continue
        key = strip_diacritics(word)
        if key not in forms:
            top[key] = n
        if len(forms[key]) < max_forms and n >= min_share * top[key]:
            forms[key].append(word)
            kept[word] = n
    return Lexicon(dict(forms), kept, _nested(pairs, min_pair), _nested(triples, min_triple))


def _nested(counts: Counter, least: int) -> dict[str, dict[str, int]]:
    """{"a b c": n} as {"a b": {"c": n}}, keeping counts of `least` or more."""
    nested = {}
    for words, n in counts.items():
        if n >= least:
            context, last = words.rsplit(" ", 1)
            nested.setdefault(context, {})[last] = n
    return nested


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vidiac.train.lexicon", description="(Re)count a model's lexicon "
                                     "from the training split of the corpora in its vidiac.yaml.")
    parser.add_argument("model", help="model directory")
    parser.add_argument("--lines", type=int, help="read only the first N lines of each corpus")
    args = parser.parse_args(argv)
    cfg = load_config(args.model)  # the model's own split and tone style
    paragraphs = (set_tone_style(para, cfg.text.tone_style) for corpus in cfg.train.corpora
                  for para in split_paragraphs(corpus.path, cfg, "train", args.lines))
    lexicon = build_lexicon(paragraphs)
    lexicon.save(args.model)
    print(f"{args.model}: {lexicon}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
