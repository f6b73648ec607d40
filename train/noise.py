"""Degrade clean text the way real inputs are degraded; the model learns to undo it.

A `Degrader` turns a clean segment into a (source, target) pair. Layout changes that the
model must keep (uppercase headers, hard line wraps, hyphens at line ends) are applied to
both sides. Then one base degradation, drawn by weight, makes the source: text typed
without marks (strip_all, strip_some), OCR output from the confusion tables of
`infer/confusions.py` (latin_ocr, vietnamese_ocr), or OCR output drawn from a model fitted
to a real engine (fitted_ocr, see `confusion_model.py`). latin_ocr and vietnamese_ocr
sources may also get letters dropped and inserted and stray symbols, each with its own
chance; a fitted model has its engine's own. No transform adds or removes a space or a line
break, so source and target have
the same words on the same lines, as inference's word alignment wants. Digits are never
changed, and URLs and e-mail addresses, which inference keeps as they are, pass untouched.
"""
import random
import re

from vidiac.infer.chunking import KEEP_AS_IS
from vidiac.infer.confusions import LATIN_OCR, STRAY_SYMBOLS, VIETNAMESE_OCR
from vidiac.infer.config import NoiseConfig
from vidiac.infer.vietnamese import BASE, TONED, strip_diacritics

from .confusion_model import ConfusionModel, apply

_SPACES = re.compile(r"(\s+)")
_INSERTED = "abcdeghiklmnopqrstuvxy"  # letters OCR reads where there are none


def _each_word(text: str, change) -> str:
    return "".join(p if not p or p.isspace() or KEEP_AS_IS.match(p) else change(p) for p in _SPACES.split(text))


def _pieces(table: dict) -> re.Pattern:
    """A word's pieces: the table's keys where they occur, longest first, else single characters."""
    return re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)) + "|.", re.DOTALL)


def _has_letter(word: str) -> bool:
    return any(c.isalpha() for c in word)


def strip_all(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Every mark gone, as typed without a Vietnamese keyboard.

    `Kết quả công tác tuyên truyền` -> `Ket qua cong tac tuyen truyen`
    """
    return strip_diacritics(text)


def strip_some(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Some letters lose their tone mark, some every mark, the rest are kept.

    `Đảng ủy xã Hòa Bình` -> `Đang ủy xa Hoa Bình`
    """
    out = []
    for ch in text:
        if (ch in BASE or ch in "đĐ") and rng.random() < cfg.strip_some_rate:
            base, tone = BASE.get(ch, (ch, 0))
            ch = TONED[(base, 0)] if tone and rng.random() < 0.5 else strip_diacritics(ch)
        out.append(ch)
    return "".join(out)


_LATIN_PIECES = _pieces(LATIN_OCR)


def latin_ocr(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """OCR without a Vietnamese model: letters lose their marks, and at `latin_ocr_rate` a
    letter with a known misreading (`infer/confusions.py`) takes it instead. A word is never
    read as digits alone, which inference would keep as they are.

    `Kết quả công tác năm 2024 là` -> `Két qua c6ng tac nim 2024 1a`
    """
    def read(word: str) -> str:
        out = "".join(rng.choice(LATIN_OCR[p]) if p in LATIN_OCR and rng.random() < cfg.latin_ocr_rate
                      else strip_diacritics(p) for p in _LATIN_PIECES.findall(word))
        return out if _has_letter(out) or not _has_letter(word) else strip_diacritics(word)
    return _each_word(text, read)


# Each vowel's wrong marks: its other tones, and its tone on the letters that differ from it
# by a hat or a horn; d and đ for each other.
_SIBLINGS = ["aăâ", "eê", "i", "oôơ", "uư", "y"]
_SIBLINGS += [s.upper() for s in _SIBLINGS]
_WRONG_MARKS = {"d": ("đ",), "đ": ("d",), "D": ("Đ",), "Đ": ("D",)}
for _ch, (_base, _tone) in BASE.items():
    _family = next(s for s in _SIBLINGS if _base in s)
    _WRONG_MARKS[_ch] = tuple(TONED[(b, t)] for b in _family for t in range(6)
                              if (b == _base) != (t == _tone))
_VIETNAMESE_PIECES = _pieces(VIETNAMESE_OCR)


def vietnamese_ocr(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """OCR with a Vietnamese model: the marks are kept, but at `vietnamese_ocr_rate` a vowel
    gets a wrong mark, d and đ swap, or a letter group known to be misread is.

    `hành vi vi phạm. Tập trung` -> `hành vì vi phạm. Tập ưung`
    """
    def misread(piece: str) -> str:
        options = VIETNAMESE_OCR.get(piece) or _WRONG_MARKS.get(piece)
        return rng.choice(options) if options and rng.random() < cfg.vietnamese_ocr_rate else piece
    return _each_word(text, lambda word: "".join(map(misread, _VIETNAMESE_PIECES.findall(word))))


DEGRADATIONS = {"strip_all": strip_all, "strip_some": strip_some, "latin_ocr": latin_ocr,
                "vietnamese_ocr": vietnamese_ocr}


def insert_delete(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """OCR drops letters and reads letters that are not there, each at `insert_delete_rate`
    per letter; a word keeps at least one letter.

    `truc tuyen dong bo` -> `tryuc tuyen dong b`
    """
    def edit(word: str) -> str:
        left, out = sum(c.isalpha() for c in word), []
        for ch in word:
            if ch.isalpha() and left > 1 and rng.random() < cfg.insert_delete_rate:
                left -= 1
                continue
            out.append(ch)
            if ch.isalpha() and rng.random() < cfg.insert_delete_rate:
                letter = rng.choice(_INSERTED)
                out.append(letter.upper() if ch.isupper() else letter)
        return "".join(out)
    return _each_word(text, edit)


def stray_symbols(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Specks read as symbols between two letters of a word, at `stray_symbols_rate` of words.

    `Bên cạnh thực hiện` -> `Bên cạnh th’ực hiện`
    """
    def stray(word: str) -> str:
        inside = [i for i in range(1, len(word)) if word[i - 1].isalpha() and word[i].isalpha()]
        if not inside or rng.random() >= cfg.stray_symbols_rate:
            return word
        i = rng.choice(inside)
        return word[:i] + rng.choice(STRAY_SYMBOLS) + word[i:]
    return _each_word(text, stray)


# OCR artefacts beyond the marks, each with its own chance per OCR-degraded segment.
OCR_EXTRAS = {"insert_delete": insert_delete, "stray_symbols": stray_symbols}
OCR_BASES = ("latin_ocr", "vietnamese_ocr")


def upper_lines(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Some lines become headers in capitals: `Ủy ban nhân dân` -> `ỦY BAN NHÂN DÂN`."""
    return "\n".join(line.upper() if rng.random() < cfg.upper_line else line for line in text.split("\n"))


def wrap(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Hard line breaks where a printed page wrapped the paragraph, 40-100 characters wide.

    At `hyphenate` of the breaks, a word that does not fit is split by a hyphen, the hyphen
    and the break kept in the target too: the model restores marks and keeps the page as it
    is, and inference aligns its output word by word, so `chuy-` and `ển` stay two words.

    `ban hành quyết định chuyển đổi số` -> `ban hành quyết định chuy-\\nển đổi số`
    """
    if rng.random() >= cfg.wrap:
        return text
    width = rng.randint(40, 100)
    lines = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            if line and len(line) + 1 + len(word) > width:
                longest_head = min(width - len(line) - 2, len(word) - 2)  # room for a space and the hyphen
                if word.isalpha() and longest_head >= 2 and rng.random() < cfg.hyphenate:
                    cut = rng.randint(2, longest_head)
                    line, word = f"{line} {word[:cut]}-", word[cut:]
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


def fitted_ocr(text: str, rng: random.Random, model: ConfusionModel) -> str:
    """A real engine's errors, drawn from its fitted confusion model. Digits, words without a
    letter (numbers, dates), URLs and e-mail addresses stay, as inference keeps them. With
    Tesseract `eng`'s:

    `Kết quả công tác tuyên truyền năm 2024` -> `Két qua cong tac tuyén truyén nim 2024`
    """
    keep, start = {i for i, c in enumerate(text) if c.isdigit()}, 0
    for part in _SPACES.split(text):
        if part and (not _has_letter(part) or KEEP_AS_IS.match(part)):
            keep.update(range(start, start + len(part)))
        start += len(part)
    return apply(text, rng, model, keep)


class Degrader:
    """Draws one base degradation per segment, with the weights of the config's noise
    section, and for the table-driven OCR bases each extra artefact with its own chance."""

    def __init__(self, cfg: NoiseConfig):
        self.cfg = cfg
        self.names = [*DEGRADATIONS, "fitted_ocr"]
        self.weights = [getattr(cfg, n) for n in self.names]
        self.fitted = [ConfusionModel.load(path) for path in cfg.fitted_ocr_models] if cfg.fitted_ocr else []

    def __call__(self, clean: str, rng: random.Random) -> tuple[str, str]:
        target = wrap(upper_lines(clean, rng, self.cfg), rng, self.cfg)
        name = rng.choices(self.names, self.weights)[0]
        if name == "fitted_ocr":
            return fitted_ocr(target, rng, rng.choice(self.fitted)), target
        source = DEGRADATIONS[name](target, rng, self.cfg)
        if name in OCR_BASES:
            for extra, corrupt in OCR_EXTRAS.items():
                if rng.random() < getattr(self.cfg, extra):
                    source = corrupt(source, rng, self.cfg)
        return source, target
