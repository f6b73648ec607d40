"""Vietnamese letters: stripping diacritics and the tone-placement convention.

Every restored syllable is one of a small set of base letters carrying at most one
tone mark, so a table of precomposed letters is all we need; no Unicode database
lookups on the hot path.
"""
import re
import unicodedata

# Each row: a base vowel followed by its five toned forms (sắc, huyền, hỏi, ngã, nặng).
_ROWS = [
    "aáàảãạ", "ăắằẳẵặ", "âấầẩẫậ", "eéèẻẽẹ", "êếềểễệ", "iíìỉĩị",
    "oóòỏõọ", "ôốồổỗộ", "ơớờởỡợ", "uúùủũụ", "ưứừửữự", "yýỳỷỹỵ",
]
_ROWS += [row.upper() for row in _ROWS]

BASE = {}   # toned letter -> (base letter, tone index 0..5)
TONED = {}  # (base letter, tone index) -> toned letter
for _row in _ROWS:
    for _tone, _ch in enumerate(_row):
        BASE[_ch] = (_row[0], _tone)
        TONED[(_row[0], _tone)] = _ch

# The letter with every mark removed: ấ -> a, ư -> u, đ -> d.
_PLAIN = {"ă": "a", "â": "a", "ê": "e", "ô": "o", "ơ": "o", "ư": "u", "đ": "d"}
_PLAIN.update({k.upper(): v.upper() for k, v in _PLAIN.items()})
_STRIP_TABLE = {}
for _ch, (_base, _tone) in BASE.items():
    _STRIP_TABLE[ord(_ch)] = _PLAIN.get(_base, _base)
_STRIP_TABLE[ord("đ")] = "d"
_STRIP_TABLE[ord("Đ")] = "D"

VIETNAMESE_LETTERS = frozenset(BASE) | {"đ", "Đ"} | set("bcdghklmnpqrstvxBCDGHKLMNPQRSTVX")

LETTERS = re.compile(r"[^\W\d_]+")  # a run of letters: a syllable, or OCR's garble of one
WORD = re.compile(r"[^\W_]+")  # letters and digits: a word (`năm`, `2024`, `x4`)
SENTENCE_END = re.compile(r"[.!?;:…]\W*$")  # a word that ends a sentence (`đây.`, `(2024).`, `ban”.`)


def strip_diacritics(text: str) -> str:
    """`Đảng ủy xã` -> `Dang uy xa`. Characters outside Vietnamese pass unchanged."""
    return text.translate(_STRIP_TABLE)


def cased(form: str, source: str) -> str:
    """`form` in the case of `source`, which it restores: letter by letter where the two are as
    long, a character with no case (`4` in `X4`, read for xã) taking the word's (`XÃ`); else
    capitals throughout, or a capital first, or as `form` is."""
    upper = source.isupper()
    if len(form) == len(source):
        return "".join(f.upper() if s.isupper() or (upper and not s.islower()) else f.lower() if s.islower() else f
                       for f, s in zip(form, source))
    return form.upper() if upper else form[:1].upper() + form[1:] if source[:1].isupper() else form


def strip_tone(ch: str) -> str:
    """Remove only the tone mark: `ấ` -> `â`."""
    return BASE[ch][0] if ch in BASE else ch


def normalize(text: str) -> str:
    """NFC, so that a combining-mark `ề` (e + ̂ + ̀) becomes the single code point."""
    return unicodedata.normalize("NFC", text)


# The Latin capital eth, which OCR engines (Tesseract `vie` on bold capitals) and old fonts print
# for the Vietnamese Đ it looks like (`Ðiều` is in the legal corpus 14 times); no Vietnamese text
# has one. Not the small one, which engines print for ô and ó as well as đ (the OCR channel).
ETH = str.maketrans("Ð", "Đ")


def normalize_input(text: str) -> str:
    """`text` as the restorer reads it: normalized, with a capital eth written as the Đ it stands
    for (ETH), one character for one, so that offsets hold. The corpus is read by `normalize`
    alone, so that its split into train, dev and test does not move."""
    return normalize(text).translate(ETH)


# Open syllables ending in oa, oe, uy (not after q): the only place the two conventions differ.
# Traditional puts the mark on the first vowel (hòa, khỏe, thủy), modern on the second
# (hoà, khoẻ, thuỷ). With a final consonant both agree (hoàn, thuyền).
_PAIRS = {("o", "a"), ("o", "e"), ("u", "y")}
TONE_STYLES = ("traditional", "modern", "keep")


def _place_tone(word: str, traditional: bool) -> str:
    if len(word) < 2:
        return word
    (b1, t1), (b2, t2) = BASE.get(word[-2], (word[-2], 0)), BASE.get(word[-1], (word[-1], 0))
    if (b1.lower(), b2.lower()) not in _PAIRS or not (t1 or t2) or (t1 and t2):
        return word
    before = word[-3].lower() if len(word) > 2 else ""
    if before in BASE or before == "q":
        return word
    tone = t1 or t2
    pair = TONED[(b1, tone)] + b2 if traditional else b1 + TONED[(b2, tone)]
    return word[:-2] + pair


def set_tone_style(text: str, style: str) -> str:
    """Place tone marks by one convention: traditional `hòa thủy`, modern `hoà thuỷ`, or keep."""
    if style == "keep":
        return text
    if style not in TONE_STYLES:
        raise ValueError(f"tone_style must be one of {TONE_STYLES}, not {style!r}")
    traditional = style == "traditional"
    return LETTERS.sub(lambda m: _place_tone(m.group(0), traditional), text)


# One Vietnamese syllable, tone marks removed: an onset, then an open rhyme, or a closed one and
# its final. English words mostly fail it (`committee`, `see`, `dog`), and so does garbage
# decoded with the wrong legacy table (`fữr`, `Grưße`); OCR garbage often does too, so it is
# not a test of Vietnamese on its own.
_ONSET = "ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx]"
_OPEN = ("oai|oay|oao|oeo|uây|uôi|uya|uyu|ươi|ươu|iêu|yêu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oa|oe|oi|"
         "ôi|ơi|ua|uê|ui|uy|uơ|ưa|ưi|ưu|[aeêioôơuưy]")
_CLOSED = "uyê|oă|oa|oe|oo|uâ|uê|uy|uô|ươ|iê|yê|[aăâeêioôơuư]"
_GRAMMAR = rf"(?:{_ONSET})?(?:{_OPEN}|(?:{_CLOSED})(?:ng|[cmnpt])|(?:oa|uy|uê|[aêi])(?:nh|ch))"
_SYLLABLE = re.compile(_GRAMMAR)
_BARE_SYLLABLE = re.compile(strip_diacritics(_GRAMMAR))  # the same shapes, their letters stripped


def is_syllable(word: str) -> bool:
    """Whether `word`, as written, could be one Vietnamese syllable: a shape of the grammar, at
    most one tone mark."""
    bases = [BASE.get(c, (c, 0)) for c in word.lower()]
    return sum(t > 0 for _, t in bases) <= 1 and bool(_SYLLABLE.fullmatch("".join(b for b, _ in bases)))


def may_be_syllable(word: str) -> bool:
    """Whether `word` could be one Vietnamese syllable, marks aside (`thuc`, `thực`, not `thyc`)."""
    return _BARE_SYLLABLE.fullmatch(strip_diacritics(word).lower()) is not None
