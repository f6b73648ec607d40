"""Count the word forms of the training text into the lexicon a model directory carries."""
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from vidiac.infer.lexicon import Lexicon
from vidiac.infer.vietnamese import normalize, strip_diacritics

_WORD = re.compile(r"[^\W\d_]+")


def build_lexicon(texts: Iterable[str], min_count: int = 2, min_share: float = 0.005,
                  max_forms: int = 6) -> Lexicon:
    """Each stripped lowercase word's accented forms, most frequent first.

    A form seen once, or far more rarely than the word's usual form (`quôc` beside `quốc`),
    is more often a typo than a word: it needs `min_count` sightings and `min_share` of the
    most frequent form's.
    """
    counts = Counter()
    for text in texts:
        counts.update(_WORD.findall(normalize(text).lower()))
    forms, top = defaultdict(list), {}
    for word, n in counts.most_common():
        if n < min_count:
            break
        key = strip_diacritics(word)
        if key not in forms:
            top[key] = n
        if len(forms[key]) < max_forms and n >= min_share * top[key]:
            forms[key].append(word)
    return Lexicon(dict(forms))
