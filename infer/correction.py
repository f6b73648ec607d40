"""Correct OCR misreadings that change a word's letters, before its marks are restored.

An OCR engine without a Vietnamese model does more than drop marks: Tesseract's `eng` reads
`của` as `cia`, `hợp` as `hgp`, `tổ` as `t6`, `chức` as `chirc`. Marks are decoding's job;
a wrong letter is not, since decoding only chooses marks (decoding.py). This step finds, for
each word, the words of the lexicon that the engine may have read so, and chooses among them
and the word as it stands with the lexicon's token trigram, reading the whole line
(forward-backward): a noisy channel (Kernighan et al. 1990) with the engine's character
confusions as the channel.

The channel (`ocr-channel.json` in the model directory, `vidiac-ocr-pairs channel`) weighs,
per clean lowercase character, each reading that changes its letter by how often the engine
printed it over how often the engine kept the letter. A reading that keeps the letter with
other marks costs nothing, as in decoding. The weights are scaled by `infer.ocr_severity`,
and per misread character by `factor`, how much the document reads like OCR (restorer.py):
typed text gets few corrections or none. A word is rewritten only where its corrected letters
(its forms of those letters together, whatever their marks) have a probability of
`infer.sure_correction` or more given its line; decoding then chooses its marks as for any
other word.
"""
import functools
import json
import re
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .chunking import KEEP_AS_IS
from .confusions import STRAY_SYMBOLS
from .lexicon import TOKEN, Lexicon
from .prior import marginals
from .vietnamese import LETTERS, may_be_syllable, normalize_input, strip_diacritics

CHANNEL_NAME = "ocr-channel.json"
MAX_READING = 3  # characters the engine may print for one clean character (`ứ` -> `if`)
MAX_ERRORS = 2  # readings that change a letter, per word
MIN_WEIGHT = 1e-3  # a misreading or a candidate whose channel weight is lower is not considered
MIN_LIKELY = 1e-4  # nor one whose weight in the document at hand is lower
STOPS = ",.;:"  # punctuation the engines confuse with each other
# How often the word after each stop starts with a capital, in the first 200,000 lines of the
# legal corpus: the trigram counts lowercase, so this is what the next word's case says of a stop.
# After a full stop 0.985 to 0.998 (the rest are abbreviations): taken as always.
CAPITAL_AFTER = {".": 1.0, ",": 0.08, ";": 0.4, ":": 0.5}
# Of the words after a full stop that follows a letter, the share in lowercase in that corpus:
# abbreviations (`v.v. và`). A stop the engine may have printed where there was none is weighed
# at its odds of a lowercase word after it (`lowercase_after`), and none less than this.
ABBREVIATED = 0.015
# What follows a number that opens a paragraph, in the first 300,000 lines of the legal corpus:
# a full stop 88,976 times, a comma once, a colon once (`1. Phạm vi`, `4. NHÀ NƯỚC`). A page's
# line may also go on a paragraph, so another stop is taken as one in a thousand.
OPENED = {".": 1.0, ",": 0.001, ";": 0.001, ":": 0.001}
# Of each stop after a syllable, the share that ends its paragraph, in the first 300,000 lines of
# the legal corpus: of 478,208 commas 118; of full stops 0.86, semicolons (a list's items) 0.48,
# colons 0.64. The trigram counts a paragraph's tokens, not its end: on a page's line that ends
# its paragraph, a stop weighs this too (`cao tốc,` for `cao tốc.`).
ENDED = {".": 0.86, ";": 0.48, ":": 0.64, ",": 0.00025}
# The stops after a syllable that may be a speck the engine read (`hoặc. cấp`): not commas, which
# the trigram cannot tell from specks (on clean dev pages it dropped those of `ngành, lĩnh vực`);
# and the marks before one (`'Thi`), which open a quote that no mark closes later in the line in
# 98 of 27.2 million words of the first 200,000 lines of both corpora (UNPAIRED).
SPECKS, LEADING = ".:", "'‘"
UNPAIRED = 98 / 27.2e6
CLOSED = re.compile(r"[\w.,!?][’']")  # a quote closed
SPECKED = re.compile(rf"(?P<lead>[{LEADING}])?(?P<letters>[^\W\d_]+)(?P<stop>[{SPECKS}])?")
SHORT = 2  # tokens without a letter that may be a misread word: up to this many characters
MAX_CORRECTIONS = 8  # the most likely corrections kept per word, beside its own forms
# The trigram score of a word the lexicon does not know, kept as the engine read it: a
# correction must do better, with its channel weight, from its neighbours or its own frequency.
UNKNOWN = 1e-6
END = None  # the trie's key of a word's end: no letter
AS_WRITTEN = "\0"  # what the trigram reads for a word kept as written that it does not know: no token it counted
# What the corrector reads as one token: a word with symbols the engine printed for a letter it
# could not place (`chi?c` for chức, `ngh¢` for nghệ), else what the n-grams count. A `?` or `’`
# after a letter goes with the word: a question mark, or part of its last letter (`tri?` for trữ).
# What an engine prints for a space it ran two words together over (`bổ.sung`, `trụ-sở`,
# `NHAN'DAN`), beside nothing at all (`VIETNAM`); the channel weighs each (a clean " ").
SPACE_READINGS = "-.':,’‘"
# Of each stop or hyphen between two lowercase letters, the share with no space on either side,
# in the first 300,000 lines of the legal corpus and 100,000 of news: the trigram counts the mark
# as a token, spaced or not, but a text seldom writes it so (`khám,chữa` 360 times, `khám, chữa`
# about a million; the hyphens of `kê-pi`, the dots of `phố.doc`). Not quotes, which an engine
# without Vietnamese prints for a letter's marks (`thu'c` for thực).
TIGHT = {",": 0.0003, ":": 0.0005, ".": 0.01, "-": 0.09}
GARBLED = re.compile(rf"[^\W_]+(?:[?’]+[^\W_]+|[{STRAY_SYMBOLS.replace('’', '')}]+[^\W_]*)*"
                     rf"(?P<tail>(?<=[^\W\d_])[?’])?|{TOKEN.pattern}")


@dataclass(frozen=True)
class Scanned:
    """A text as an OCR engine read it from a page image: per word of `text.split()`, its
    characters as printed, each with the engine's confidence and its readings of that place
    with their weights (ocrdoc.Word.chars); a word without them: empty."""
    text: str
    chars: list

    def __len__(self) -> int:
        return len(self.text)


def other_readings(printed: str, confidence: float, readings: dict[str, float]) -> dict[str, float]:
    """The letters (without marks) of the engine's other readings of a place where it printed
    `printed` at `confidence`, each with the engine's weight of it over the printed one's (at most 1)."""
    own, letter = readings.get(printed) or confidence, strip_diacritics(normalize_input(printed).lower())
    others: dict[str, float] = {}
    for reading, q in readings.items():
        other = strip_diacritics(normalize_input(reading).lower())  # `Ð` read `Đ` is no other letter
        if other.isalpha() and other != letter and (w := min(1.0, q / own)) >= MIN_WEIGHT:
            others[other] = max(others.get(other, 0.0), w)
    return others


def _rounded(x: float) -> float:
    """Two significant digits: evidence that differs less is the same, and its corrections are cached once."""
    return float(f"{x:.2g}")


class Corrector:
    def __init__(self, lexicon: Lexicon, channel: dict[str, dict[str, float]], severity: float, sure: float,
                 confidence: dict | None = None, sure_unknown: float | None = None):
        """`channel`: per clean lowercase character, the readings that change its letter, each
        weighted by its frequency over that of the readings that keep the letter; `confidence`:
        how often a character's letter is wrong, by the engine's confidence in it (bins with
        upper `edges`, their `wrong` rates), and the odds of another reading of its place, by its
        weight over the printed one's (`alternatives`: `edges`, `odds`), for scans read with each
        character's confidence;
        `sure`: the probability a correction needs, `sure_unknown` (by default `sure`) that of a
        word the lexicon does not know."""
        self.lexicon, self.severity, self.sure, self.confidence = lexicon, severity, sure, confidence
        self.sure_unknown = sure if sure_unknown is None else sure_unknown
        # The clean characters the channel misreads as each reading, with their weights (`é` -> ó,
        # `i` -> ủ), and the same by skeleton letter, at the best weight of its characters.
        self.misread: dict[str, dict[str, float]] = {}
        for clean, readings in channel.items():
            for reading, w in readings.items():
                if len(reading) <= MAX_READING and severity * w >= MIN_WEIGHT:
                    self.misread.setdefault(reading, {})[clean] = severity * w
        self.space = {reading: severity * w for reading, w in channel.get(" ", {}).items()}  # a space misread
        # How often the engine prints each stop after a letter, or each mark before one, where
        # there was none (`p` read `p.`, `t` read `'t`): the channel fits it per letter, from too
        # few such readings to tell the letters apart, so its mean over the letters.
        letters = [c for c in channel if len(c) == 1 and c.isalpha() and c == strip_diacritics(c)]
        self.inserted = {mark: severity * sum(channel[c].get(c + mark if mark in SPECKS else mark + c, 0.0)
                                              for c in letters) / max(len(letters), 1)
                         for mark in SPECKS + LEADING}
        self.misread_letters: dict[str, dict[str, float]] = {}
        for reading, cleans in self.misread.items():
            best = self.misread_letters.setdefault(reading, {})
            for clean, w in cleans.items():
                best[strip_diacritics(clean)] = max(best.get(strip_diacritics(clean), 0.0), w)

    @classmethod
    def load(cls, model_dir: str | Path, lexicon: Lexicon, severity: float, sure: float,
             sure_unknown: float | None = None) -> "Corrector | None":
        """The directory's corrector; None where it has no channel, no lexicon, or severity is 0."""
        path = Path(model_dir) / CHANNEL_NAME
        if not path.is_file() or not lexicon.total or not severity:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            channel, confidence = data["misreadings"], data.get("confidence")
            if not all(isinstance(p, (int, float)) for readings in channel.values() for p in readings.values()):
                raise ValueError
            if confidence and len(confidence["edges"]) != len(confidence["wrong"]):
                raise ValueError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"{path}: not an OCR channel written by vidiac-ocr-pairs channel") from None
        if confidence:
            others = confidence.get("alternatives")
            if others is None:
                raise ValueError(f"{path}: written before the engine's other readings were calibrated; write it "
                                 "again with vidiac-ocr-pairs channel --confidence (docs/training.md)")
            if not isinstance(others, dict) or len(others.get("edges", ())) != len(others.get("odds", ())):
                raise ValueError(f"{path}: not an OCR channel written by vidiac-ocr-pairs channel")
        return cls(lexicon, channel, severity, sure, confidence, sure_unknown)

    @functools.cached_property
    def _trie(self) -> dict:
        """The letters of the lexicon's words (its forms without marks) as a trie of dicts; END marks a word."""
        root: dict = {}
        for letters in self.lexicon.forms:
            node = root
            for ch in letters:
                node = node.setdefault(ch, {})
            node[END] = letters
        return root

    def share_unknown(self, words: list[str]) -> float:
        """The share of a document's words (a letter or more, not all capitals) whose letters the
        lexicon does not know: about 0.01 in typed text, 0.1 and more in Tesseract `eng` output."""
        tokens = [t for w in words for t in TOKEN.findall(w) if any(c.isalpha() for c in t) and not t.isupper()]
        return sum(strip_diacritics(t.lower()) not in self.lexicon.forms for t in tokens) / max(1, len(tokens))

    def evidence(self, chars: list) -> list[tuple | None]:
        """What the engine knew of each word of a page (Scanned.chars), as the channel for that
        page: per character, how much likelier than the page's average character it is misread,
        by the engine's confidence in it; and the letters of its other readings, each at the odds
        that the calibration gives a reading of its weight against the printed one. None for a
        word without characters, or without a calibration of confidence in the channel."""
        if not self.confidence:
            return [None] * len(chars)
        edges, wrong = self.confidence["edges"], self.confidence["wrong"]
        other_edges, odds = self.confidence["alternatives"]["edges"], self.confidence["alternatives"]["odds"]
        rates = [[wrong[min(bisect_left(edges, p), len(wrong) - 1)] for _, p, _ in cs] for cs in chars]
        mean = sum(map(sum, rates)) / max(sum(map(len, rates)), 1)
        out = []
        for cs, rs in zip(chars, rates):
            if not cs:
                out.append(None)
                continue
            word = []
            for (c, p, readings), rate in zip(cs, rs):
                others = {letter: _rounded(odds[min(bisect_left(other_edges, w), len(odds) - 1)])
                          for letter, w in other_readings(c, p, readings).items()}
                word.append((_rounded(rate / mean), tuple(sorted(others.items()))))
            out.append(tuple(word))
        return out

    @functools.lru_cache(maxsize=1 << 16)  # text repeats its words
    def candidates(self, token: str,
                   evidence: tuple | None = None) -> tuple[tuple[str, ...], tuple[float, ...], tuple[int, ...]]:
        """The forms the lexicon knows that the engine may have read as `token` (lowercase), their
        channel weights and their misread characters: the token's own forms (weight 1, none
        misread), then the likeliest corrections. `evidence`: per character of the token, what the
        engine knew of it (`evidence`), which scales the channel there and adds its other readings."""
        skeleton = strip_diacritics(token)

        def doubted(w: float, i: int, n: int) -> float:
            """A misreading's weight `w` at the doubt of the characters it spans, `n` from `i` (a
            dropped letter: its neighbours'). However doubted a character, no misreading of it
            becomes likelier than reading it right (weight 1): the doubt says that it was misread,
            not which of the letters it may stand for it was."""
            if not evidence:
                return w
            span = evidence[max(0, i - 1):i + 1] if n == 0 else evidence[i:i + n]
            return doubted_weight(w, max((doubt for doubt, _ in span), default=1.0))
        found: dict[str, float] = {}  # the letters of known words the engine may have read as `token`

        # At each position, the letters the characters from there may be a misreading of, each
        # with the readings (n characters; n = 0: a letter the engine dropped) and their weights;
        # any letter may also be read as itself, whatever its marks.
        misread: list[dict[str, list[tuple[int, float]]]] = []
        for i in range(len(token)):
            misread.append({})
            for n in range(min(MAX_READING, len(token) - i) + 1):
                for letter, w in self.misread_letters.get(token[i:i + n], {}).items():
                    misread[-1].setdefault(letter, []).append((n, doubted(w, i, n)))
            for letter, w in evidence[i][1] if evidence else ():
                misread[-1].setdefault(letter, []).append((1, w))

        def extend(i: int, node: dict, weight: float, errors: int) -> None:
            if i == len(token):
                if END in node:
                    found[node[END]] = max(found.get(node[END], 0.0), weight)
                return
            if skeleton[i] in node:
                extend(i + 1, node[skeleton[i]], weight, errors)
            if errors < MAX_ERRORS:
                for letter in node.keys() & misread[i].keys():  # the letters both lead on to
                    for n, w in misread[i][letter]:
                        if weight * w >= MIN_WEIGHT:
                            extend(i + n, node[letter], weight * w, errors + 1)

        extend(0, self._trie, 1.0, 0)
        # Its own forms, the most frequent first (a form as written where none: `m3`, `vj`).
        own = list(self.lexicon.forms.get(skeleton, ())) or ([token] if token in self.lexicon.ids else [])
        likely = sorted((letters for letters in found if letters != skeleton),
                        key=lambda letters: -found[letters] * self.lexicon.count(self.lexicon.forms[letters][0]))
        readings = [[(n, {c: doubted(w, j, n) for c, w in self.misread[token[j:j + n]].items()} if evidence
                      else self.misread[token[j:j + n]], {})
                     for n in range(min(MAX_READING, len(token) - j) + 1) if token[j:j + n] in self.misread]
                    + ([(1, {}, dict(evidence[j][1]))] if evidence and j < len(token) and evidence[j][1] else [])
                    for j in range(len(token) + 1)]
        scored = {f: self._reading(f, skeleton, readings)
                  for letters in likely[:MAX_CORRECTIONS] for f in self.lexicon.forms[letters]}
        if token in STOPS:  # a stop misread as another: `.` for `,`, `:` for `;`
            scored.update((c, (w, 1)) for c, w in self.misread.get(token, {}).items()
                          if c in STOPS and c in self.lexicon.ids)
        others = sorted((f for f in scored if scored[f][0] >= MIN_WEIGHT),
                        key=lambda f: -scored[f][0] * self.lexicon.count(f))
        others = others[:MAX_CORRECTIONS]
        return (tuple(own + others), (1.0,) * len(own) + tuple(scored[f][0] for f in others),
                (0,) * len(own) + tuple(scored[f][1] for f in others))

    @staticmethod
    def _reading(form: str, skeleton: str,
                 readings: list[list[tuple[int, dict[str, float], dict[str, float]]]]) -> tuple[float, int]:
        """The channel weight of the likeliest way the engine read `form` as the token of `skeleton`
        (its letters without marks), and its misread characters; `readings`: at each position of
        the token, the misreadings that start there, by their length, with their weights by clean
        character, and by letter whatever its marks (the engine's own other readings)."""
        read = {0: (1.0, 0)}  # characters of the token read for the characters of `form` so far -> (weight, misread)
        for clean in form:
            bare, after = strip_diacritics(clean), {}
            for j, (weight, errors) in sorted(read.items()):
                steps = [(1, 1.0, 0)] if j < len(skeleton) and skeleton[j] == bare else []
                if errors < MAX_ERRORS:
                    steps += [(n, w, 1) for n, cleans, letters in readings[j]
                              if (w := cleans.get(clean) or letters.get(bare))]
                for n, w, miss in steps:
                    if weight * w > after.get(j + n, (0.0,))[0]:
                        after[j + n] = weight * w, errors + miss
            read = after
        return read.get(len(skeleton), (0.0, 0))

    def correct(self, words: list[str], factor: float = 1.0, evidence: list[tuple | None] | None = None,
                recase: bool = True, before: str = "", next_line: str = "", paragraph_end: bool = False) -> list[str]:
        """One line's words with the misread ones rewritten (in the input's case); `factor` scales
        the channel's error rates, for each misread character, as the document's OCR is worse or
        better; `evidence`: per word, what the engine knew of its characters (`evidence`);
        `recase`: whether a word's letters read in the wrong case (`cOng`, `BO` for Bộ: an engine
        without a Vietnamese model) are set right; else capitals stand (`EU`, `MU`); `before`: the
        word before the line (the last of a printed line that it continues), if any; `next_line`:
        the first word of the next line, if any; `paragraph_end`: whether the line ends its paragraph."""
        tokens = [(i, m) for i, w in enumerate(words) if not KEEP_AS_IS.match(w) for m in GARBLED.finditer(w)]
        known = evidence or [None] * len(words)
        cased = [w for w in words if any(c.isalpha() for c in w)]
        lowercase = sum(not w.isupper() for w in cased) > len(cased) / 2  # a line of text, not a heading
        forms, weights, ends, changed = [], [], [], False
        for j, (i, m) in enumerate(tokens):
            text = m.group().lower()
            body = text[:len(text) - len(m.group("tail") or "")]
            if any(c.isalpha() for c in text) or len(text) <= SHORT:  # `6` may be ở, `&` ở
                seen = known[i] if known[i] and len(known[i]) == len(words[i]) == len(words[i].lower()) else None
                seen = seen and seen[m.start():m.end()]
                options = [(f, w, e, len(body)) for f, w, e in self._likely(body, seen and seen[:len(body)], factor)]
                after = tokens[j + 1][1].group()[:1] if j + 1 < len(tokens) else ""
                clause = j == 1 and tokens[0][1].group().isdigit()  # `4,` opening a line: a clause's number?
                if text in CAPITAL_AFTER and paragraph_end and lowercase and j == len(tokens) - 1:
                    # Not in a heading, whose lines wrap into capitals (`PHÁP LUẬT,` / `CHẾ ĐỘ`).
                    options = [(f, w * ENDED[f] / ENDED[text] if e and f in ENDED else w, e, n)
                               for f, w, e, n in options]
                elif text in CAPITAL_AFTER and (after.islower() or after.isupper() and clause):
                    # The trigram, which counts lowercase, would read `Điều 12, hồ sơ` as the heading
                    # `Điều 12.`, and the clause `4, Nhà nước` as a list. A capital after a line's
                    # opening number makes it a clause's or a heading's (`4. NHÀ NƯỚC`); inside a line
                    # it says nothing, since names and `Điều` (`Điều 35, Điều 36`) take one. The stop
                    # as printed keeps its weight: a misread one weighs as its odds there to it.
                    odds = OPENED if after.isupper() else {f: 1 - p for f, p in CAPITAL_AFTER.items()}
                    options = [(f, w * odds[f] / (odds[text] or 1) if e and f in odds else w, e, n)
                               for f, w, e, n in options if not e or odds.get(f, 1)]
                if body != text:  # a question mark after the form, at the trigram's odds; or a misread letter
                    query = ((None,), tuple(o[0] for o in options), (text[-1],))
                    after = self.lexicon.backoff_tables([query])[0][0][:, 0]
                    options = [(f, w * float(a), e, n) for (f, w, e, n), a in zip(options, after)
                               if w * a >= MIN_LIKELY] if options else []
                    options += [(f, w, e, len(text)) for f, w, e in self._likely(text, seen, factor) if e]
                changed = changed or any(o[2] for o in options) or (recase and _miscased(m.group()[:len(body)],
                                                                                         lowercase))
                if not options or options[0][2]:  # no form of its own: it may be a word the lexicon never saw
                    options.insert(0, (None, 1.0, 0, len(text)))
            else:
                options = [(text, 1.0, 0, len(text)) if text in self.lexicon.ids else (None, 1.0, 0, len(text))]
            forms.append(tuple(o[0] for o in options))  # a token the lexicon cannot place (None) cuts the chain
            weights.append(np.array([o[1] for o in options]))
            ends.append([o[3] for o in options])
        if not changed:  # at factor 0 no misreading is left
            return self._split(self._unspecked(words, factor, known, next_line), factor)
        out = list(words)
        # right to left: offsets hold
        for (i, m), fs, ns, p in reversed(list(zip(tokens, forms, ends, marginals(self._moves(forms), weights)))):
            # The letters are chosen here and the marks by decoding: forms with the same letters
            # (bộ, bố, bổ for `b6`) pool their probability.
            keys = [f and (strip_diacritics(f), n) for f, n in zip(fs, ns)]
            mass = dict.fromkeys(keys, 0.0)
            for key, x in zip(keys, p):
                mass[key] += x
            best = max(mass, key=mass.get)
            k = max((k for k, key in enumerate(keys) if key == best), key=lambda k: p[k])
            source = m.group()[:ns[k]]
            sure = self.sure_unknown if None in mass else self.sure  # None: kept as written, a word never seen
            if best is not None and mass[best] >= sure and (best[0] != strip_diacritics(source.lower())
                                                            or recase and _miscased(source, lowercase)):
                start = m.start() == 0 and (words[i - 1] if i else before)[-1:] in ".!?…:"  # of a sentence
                out[i] = (out[i][:m.start()] + _line_cased(fs[k], source, lowercase, start)
                          + out[i][m.start() + ns[k]:])
        return self._split(self._unspecked(out, factor, known, next_line), factor)

    def _likely(self, token: str, evidence: tuple | None, factor: float) -> list[tuple[str, float, int]]:
        """The candidates of `token` (form, weight, misread characters) at the document's `factor`,
        those likely enough to weigh."""
        return [(f, w * factor ** e, e) for f, w, e in zip(*self.candidates(token, evidence))
                if w * factor ** e >= MIN_LIKELY]

    def _unspecked(self, words: list[str], factor: float, evidence: list[tuple | None],
                   next_line: str) -> list[str]:
        """`words` without the marks the engine likelier printed from specks: a full stop or colon
        after a syllable, before a lowercase word that is not a list item (`hoặc. cấp`, `quy.` before
        `định` on the next line), where the line without it is `sure` against the line with it, the
        stop weighed by its odds of a lowercase word after it (CAPITAL_AFTER); and a mark before one
        that no mark closes later in the line (`'Thi`), `sure` against the corpus's rate of such a
        quote (UNPAIRED). Each at the engine's rate of printing it there where there was none
        (`inserted`, times `factor` and the engine's doubt of it). `evidence`: per word of
        `words`, what the engine knew of it; `next_line`: the first word of the next line."""
        if not factor:
            return words
        out = list(words)
        for i, word in enumerate(words):
            m = SPECKED.fullmatch(word)
            if not m or not (m["lead"] or m["stop"]) or not (letters := self._form(m["letters"].lower())):
                continue
            seen = evidence[i] if i < len(evidence) and evidence[i] and len(evidence[i]) == len(word) else None
            lead, stop, following = m["lead"], m["stop"], words[i + 1:i + 3] or [next_line]
            before = [self._form(t) or t for t in TOKEN.findall(words[i - 1].lower())[-1:]] if i else [None]
            after = [self._form(t) for t in TOKEN.findall(" ".join(following).lower())[:2]]
            if (stop and following[0][:1].islower() and following[0][1:2] != ")"
                    and self._speck([*before, letters, stop, *after], self._rate(stop, factor, seen, -1),
                                    lowercase_after(stop))):
                word, stop = word[:-1], None
            if lead and not CLOSED.search(" ".join(words[i:])[1:]):
                rate = self._rate(lead, factor, seen, 0)
                if rate >= self.sure * (rate + UNPAIRED):
                    word = word[1:]
            out[i] = word
        return out

    def _rate(self, mark: str, factor: float, seen: tuple | None, at: int) -> float:
        """How likely the engine printed `mark` from a speck on this page, at its character `at`
        of the word (`seen`: what the engine knew of the word's characters)."""
        rate = self.inserted[mark] * factor
        return doubted_weight(rate, seen[at][0]) if seen else rate

    def _speck(self, tokens: list[str | None], rate: float, odds: float) -> bool:
        """Whether the third of `tokens` (forms as the trigram counts them, one before the word it
        follows, two after it; None: none, as before a line) is a speck: the line without it, at
        `rate`, is `sure` against the line with it at `odds`. Not where the token after it is
        unknown (None), which says nothing."""
        a, b, mark, c, d = (tokens + [None] * 5)[:5]
        if not rate or c is None:
            return False
        ends = [((mark,), (c,), (d,)), ((b,), (c,), (d,))] if d else []
        kept, step, dropped, *last = (float(t.ravel()[0]) for t in self.lexicon.backoff_tables(
            [((a,), (b,), (mark,)), ((b,), (mark,), (c,)), ((a,), (b,), (c,)), *ends]))
        kept *= step * (last[0] if last else 1.0) * odds
        dropped *= rate * (last[1] if last else 1.0)
        return dropped >= self.sure * (dropped + kept)

    def _form(self, token: str) -> str | None:
        """`token` as the trigram counts it: as written where the lexicon knows it, else the
        commonest form of its letters; None where it knows neither."""
        return token if token in self.lexicon.ids else (self._forms(token) or (None,))[0]

    def _split(self, words: list[str], factor: float) -> list[str]:
        """`words` with each one that the engine ran together from two (`bổ.sung,`, `VIETNAM`)
        written as the two, a space between them inside the one word: where, at the channel's rate
        of reading a space so (times `factor`), the pair of words is `sure` against the symbol
        between them as printed, or against the letters as one word the lexicon does not know."""
        if not factor:
            return words
        out = list(words)
        for i, word in enumerate(words):
            if KEEP_AS_IS.match(word):
                continue
            runs = list(LETTERS.finditer(word))
            for left, right in reversed(list(zip(runs, runs[1:]))):  # right to left: offsets hold
                gap = word[left.end():right.start()]
                if len(gap) == 1 and gap in SPACE_READINGS and self._apart(left.group(), right.group(), gap, factor):
                    out[i] = out[i][:left.end()] + " " + out[i][right.start():]
            if len(runs) == 1 and not self._known(runs[0].group()):
                letters = runs[0].group()
                cuts = [k for k in range(2, len(letters) - 1)
                        if self._apart(letters[:k], letters[k:], "", factor)]
                if cuts:
                    k = max(cuts, key=lambda k: self._pair(letters[:k], letters[k:]))
                    out[i] = out[i][:runs[0].start() + k] + " " + out[i][runs[0].start() + k:]
        return out

    def _known(self, token: str) -> bool:
        """Whether `token` may be a word as it stands: the lexicon knows it, or it may be a syllable."""
        return strip_diacritics(token.lower()) in self.lexicon.forms or may_be_syllable(token)

    def _forms(self, token: str) -> tuple[str, ...]:
        return tuple(self.lexicon.forms.get(strip_diacritics(token.lower()), ())[:MAX_CORRECTIONS])

    def _pair(self, left: str, right: str, gap: str = "") -> float:
        """How likely the trigram finds a form of `left` followed by a form of `right` (with `gap`
        between them as a token of its own), at a line's start: summed over the forms, each of
        `left` weighted by its frequency."""
        lefts, rights = self._forms(left), self._forms(right)
        middle = (gap,) if gap else rights
        share = np.array([self.lexicon.count(f) for f in lefts]) / max(self.lexicon.total, 1)
        after = self.lexicon.backoff_tables([((None,), lefts, middle)])[0][0]  # [left form, middle form]
        if gap:
            after = after * self.lexicon.backoff_tables([((None,), (gap,), rights)])[0][0].sum()
        return float(share @ after.sum(1))

    def _apart(self, left: str, right: str, gap: str, factor: float) -> bool:
        """Whether `left` + `gap` + `right` is two words that the engine read a space between as
        `gap`, at least `sure` against `gap` as printed (nothing: the letters as one word the
        lexicon does not know)."""
        if (not (self._forms(left) and self._forms(right)) or left.isupper() != right.isupper()
                or (gap and gap not in self.lexicon.ids)):
            return False
        apart = self.space.get(gap, 0.0) * factor * self._pair(left, right)
        printed = self._pair(left, right, gap) if gap else UNKNOWN
        if gap in CAPITAL_AFTER and right[:1].islower():  # `trang.thiết`: a full stop is seldom followed so
            printed *= lowercase_after(gap)
        if gap and left[-1:].islower() and right[:1].islower():
            printed *= TIGHT.get(gap, 1.0)
        return apart > 0 and apart >= self.sure * (apart + printed)

    def _moves(self, forms: list[tuple]) -> list[np.ndarray]:
        """For each token of a line, [a, b, c]: the lexicon's score of its form c after form a of the
        token two before and form b of the token before (None before the line); a form the lexicon
        does not know (None, the word as it stands) scores UNKNOWN, or 1 as the only choice. The
        tokens after it score as after any pair never counted: were it the start of a line, the
        word left as written would escape the context that its corrections are scored in
        (`S06: 377` for `Số: 377`)."""
        forms = [(None,), (None,), *(tuple(AS_WRITTEN if f is None else f for f in fs) for fs in forms)]
        queries = [(forms[i - 2], forms[i - 1], forms[i]) for i in range(2, len(forms))]
        moves = self.lexicon.backoff_tables(queries)
        for m, (_, _, fs) in zip(moves, queries):
            if AS_WRITTEN in fs:
                m[:, :, fs.index(AS_WRITTEN)] = 1.0 if fs == (AS_WRITTEN,) else UNKNOWN
        return moves


def doubted_weight(w: float, doubt: float) -> float:
    """A misreading's weight `w` at the engine's `doubt` of the characters it spans (how much
    likelier than the page's average they are misread). However doubted, no misreading becomes
    likelier than reading them right (weight 1)."""
    return min(w * doubt, max(w, 1.0))


def lowercase_after(stop: str) -> float:
    """The odds of a lowercase word after `stop` (CAPITAL_AFTER), abbreviations allowed for."""
    return max(1 - CAPITAL_AFTER[stop], ABBREVIATED)


def _tall(token: str, lowercase: bool) -> bool:
    """Whether `token`, on a `lowercase` line, is a capital and a vowel the engine read tall with
    its marks (`BO` for Bộ, `SO` for Số)."""
    return lowercase and len(token) == 2 and token.isupper() and token[1] in "OU" and may_be_syllable(token)


def _miscased(token: str, lowercase: bool) -> bool:
    """Whether `token` is a syllable with capitals inside a lowercase word, or a small letter among
    capitals: the engine reading a letter tall with its marks (`cOng` for công, `TiNH` for TỈNH)."""
    letters = [c for c in token if c.isalpha()]
    return (any(c.isupper() for c in letters[1:]) and any(c.islower() for c in letters)
            and may_be_syllable(token)) or _tall(token, lowercase)


def _line_cased(form: str, source: str, lowercase: bool = False, start: bool = True) -> str:
    """`form` in the case of `source`, whose letters may differ: capitals throughout, or a capital
    first or none. A word the engine miscased takes its line's case: on a `lowercase` line its first
    letter's (`HOi` for Hội), in a heading capitals (`TiNH` for TỈNH). The case of a misread letter
    tells nothing (`BG` for Bộ): where fewer than two letters were read right, the line's case
    decides, after the first letter's; an `I` read for an l (`Idi` for lợi) is a capital only
    where the word may `start` a sentence."""
    same = len(form) == len(source) and may_be_syllable(form)  # a code (`NĐ` read `NP`) keeps its capitals
    letters = [c for k, c in enumerate(source) if c.isalpha() and (not same or strip_diacritics(form[k]) == c.lower())]
    capitals = len(letters) > 1 and all(c.isupper() for c in letters)
    if (not lowercase and (_miscased(source, lowercase) or (len(letters) < 2 and not source[:1].islower()))
            or (capitals and not _tall(source, lowercase))):
        return form.upper()
    small = source[:1] in "IJ" and form[:1] == "l"  # a capital that looks like the small letter it stands for
    return form[:1].upper() + form[1:] if source[:1].isupper() and (start or not small) else form
