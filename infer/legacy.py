"""Legacy Vietnamese encodings: TCVN3 (ABC), VNI-Windows and VIQR text to Unicode.

Documents typed in .VnTime (TCVN3) or VNI fonts reach us as Latin-1 characters: copied out
of Word as Unicode, or a .txt read as cp1252. VIQR (RFC 1456) is ASCII with the marks after
the letter: `Vie^.t Nam`. `detect` names an encoding only when many words carry that
encoding's own characters and nearly all of them, and most words overall, decode to
Vietnamese syllables, so Unicode or unaccented Vietnamese and English are left alone.
"""
import functools
import re
import string
import unicodedata

from .vietnamese import BASE, LETTERS, TONED, VIETNAMESE_LETTERS, is_syllable

ENCODINGS = ("tcvn3", "vni", "viqr")

# Per letter: its legacy spelling unmarked, then with sắc, huyền, hỏi, ngã, nặng (vietnamese.TONED).
_TCVN3 = {
    "a": "a ¸ µ ¶ · ¹", "ă": "¨ ¾ » ¼ ½ Æ", "â": "© Ê Ç È É Ë", "e": "e Ð Ì Î Ï Ñ",
    "ê": "ª Õ Ò Ó Ô Ö", "i": "i Ý × Ø Ü Þ", "o": "o ã ß á â ä", "ô": "« è å æ ç é",
    "ơ": "¬ í ê ë ì î", "u": "u ó ï ñ ò ô", "ư": "\xad ø õ ö ÷ ù", "y": "y ý ú û ü þ",
    "đ": "®",
    # Capitals with tone marks have no codes: a capital font (.VnTimeH) draws the lowercase ones.
    "Ă": "¡", "Â": "¢", "Ê": "£", "Ô": "¤", "Ơ": "¥", "Ư": "¦", "Đ": "§",
}
_VNI = {
    "a": "a aù aø aû aõ aï", "ă": "aê aé aè aú aü aë", "â": "aâ aá aà aå aã aä",
    "e": "e eù eø eû eõ eï", "ê": "eâ eá eà eå eã eä", "i": "i í ì æ ó ò",
    "o": "o où oø oû oõ oï", "ô": "oâ oá oà oå oã oä", "ơ": "ô ôù ôø ôû ôõ ôï",
    "u": "u uù uø uû uõ uï", "ư": "ö öù öø öû öõ öï", "y": "y yù yø yû yõ î", "đ": "ñ",
}
_VIQR_MARKS = "(^+'`?~."  # breve, circumflex, horn, then the tones
_VIQR = {letter: " ".join(base + t for t in ("", *_VIQR_MARKS[3:])) for letter, base in {
    "a": "a", "ă": "a(", "â": "a^", "e": "e", "ê": "e^", "i": "i",
    "o": "o", "ô": "o^", "ơ": "o+", "u": "u", "ư": "u+", "y": "y"}.items()}


def _table(rows: dict[str, str], upper: bool) -> dict[str, str]:
    """Legacy spelling -> Unicode letter; VNI and VIQR write capitals as the uppercased spelling."""
    table = {}
    for letter, spellings in rows.items():
        for tone, seq in enumerate(spellings.split()):
            table[seq] = TONED.get((letter, tone), letter)
            if upper:
                table[seq.upper()] = table[seq].upper()
    return {seq: ch for seq, ch in table.items() if seq != ch}


TABLES = {"tcvn3": _table(_TCVN3, upper=False), "vni": _table(_VNI, upper=True), "viqr": _table(_VIQR, upper=True)}


def _alternation(seqs) -> str:
    return "|".join(map(re.escape, sorted(seqs, key=len, reverse=True)))  # longest spelling wins


_LEGACY_RE = {enc: re.compile(_alternation(TABLES[enc])) for enc in ("tcvn3", "vni")}
# VIQR: a backslash makes the next mark literal; dd is đ where a word starts (DD also in NĐ-CP).
_VIQR_WORD = re.compile(rf"\\([\\{re.escape(_VIQR_MARKS)}])|[A-Za-z{re.escape(_VIQR_MARKS)}]+")
_VIQR_RE = re.compile(r"(?<![A-Za-z])(?:dd|Dd)|(?<![a-z])DD|" + _alternation(TABLES["viqr"]))
_URLISH = re.compile(r"://|@|^www\.", re.IGNORECASE)
_TOKEN = re.compile(r"\S+")


def _viqr_word(m: re.Match) -> str:
    if m.group(1):
        return m.group(1)
    toned = False  # a syllable takes one tone mark; a second ' ? . is punctuation ("Ha` No^.i.")

    def letter(m: re.Match) -> str:
        nonlocal toned
        seq = m.group(0)
        if seq.lower() == "dd":
            return "Đ" if seq[0] == "D" else "đ"
        ch = TABLES["viqr"][seq]
        if BASE.get(ch, ("", 0))[1]:
            toned = not toned
            if not toned:  # the mark ended this syllable: next one may take a tone ("na`y.DDie^`u")
                return TABLES["viqr"].get(seq[:-1], seq[:-1]) + seq[-1]
        return ch

    return _VIQR_RE.sub(letter, m.group(0))


def _capital_font(line: str) -> str:
    """A TCVN3 line in a capital font: capitals and lowercase codes, e.g. CéNG HOµ (CỘNG HOÀ)."""
    if re.search("[a-z]", line):
        return line
    for word in LETTERS.findall(line):
        if sum(c.isascii() for c in word) >= 2 and any(c.islower() for c in word):
            return line.upper()
    return line


def to_unicode(text: str, encoding: str) -> str:
    """`text` in TCVN3, VNI or VIQR (see ENCODINGS) as Unicode NFC."""
    if encoding == "viqr":  # ASCII marks also occur in addresses; those stay as written
        out = _TOKEN.sub(lambda m: m.group(0) if _URLISH.search(m.group(0)) else
                         _VIQR_WORD.sub(_viqr_word, m.group(0)), text)
    elif encoding in _LEGACY_RE:
        table = TABLES[encoding]
        out = _LEGACY_RE[encoding].sub(lambda m: table[m.group(0)], text)
        if encoding == "tcvn3":
            out = "".join(_capital_font(line) for line in out.splitlines(keepends=True))
    else:
        raise ValueError(f"legacy encoding must be one of {ENCODINGS}, not {encoding!r}")
    return unicodedata.normalize("NFC", out)


# What no Unicode Vietnamese text has: mark characters that are not Vietnamese letters.
_OWN = {enc: set("".join(TABLES[enc])) - VIETNAMESE_LETTERS - set(string.ascii_letters) for enc in ENCODINGS}
_UNICODE_ONLY = {c for c in VIETNAMESE_LETTERS if ord(c) > 0xFF}  # ơ, ư, ạ...: never in these encodings
_EDGE_PUNCT = "\"'([{<“‘.,;:!?)]}>”’…"


@functools.lru_cache(maxsize=1 << 16)  # words repeat: a document has far fewer distinct ones
def _judge(token: str, encoding: str) -> tuple[bool, bool, bool]:
    """Is `token` a word; does it decode to syllables; does it carry the encoding's own marks."""
    runs = LETTERS.findall(to_unicode(token, encoding))
    ok = bool(runs) and not _UNICODE_ONLY.intersection(token) and all(map(is_syllable, runs))
    core = token.strip(_EDGE_PUNCT)  # sentence-final ? . ' are punctuation, not VIQR marks
    marked = not _OWN[encoding].isdisjoint(core) and to_unicode(core, encoding) != core
    return bool(runs), ok, marked


def detect(text: str) -> str | None:
    """The legacy encoding `text` is written in, or None for Unicode (accented or not) and other text."""
    tokens = [t for t in _TOKEN.findall(text) if not _URLISH.search(t)]
    best, best_count = None, 0
    for encoding in ENCODINGS:
        judged = [j for j in (_judge(t, encoding) for t in tokens) if j[0]]
        words, valid = len(judged), sum(ok for _, ok, _ in judged)
        marked, marked_valid = sum(m for _, _, m in judged), sum(ok and m for _, ok, m in judged)
        clear = (marked >= 2  # more than a stray symbol
                 and marked >= 0.2 * words  # a good share of the words carry the encoding's marks
                 and marked_valid >= 0.9 * marked  # nearly all of those decode to syllables
                 and valid >= 0.6 * words)  # and so do most words
        if clear and marked_valid > best_count:
            best, best_count = encoding, marked_valid
    return best
