"""OCR documents: the pages of an hOCR or ALTO file as lines of words on their boxes.

Restoration keeps words one for one (chunking.py), so a page is restored as the text of its
words, lines and paragraphs, and each restored word is written back into its own element:
its box, confidence and every other attribute stay as the engine wrote them.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    from lxml import etree
except ImportError:  # the scan extra
    etree = None

MARKUP_SUFFIXES = (".hocr", ".xml", ".alto")  # hOCR, ALTO
HOCR_LINES = ("ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat")
_BBOX = re.compile(r"\bbbox\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")
_WCONF = re.compile(r"\bx_wconf\s+(-?[\d.]+)")
_CONF = re.compile(r"\bx_confs?\s+(-?[\d.]+)")


class OcrDocError(ValueError):
    """A file that is not the hOCR or ALTO it was named as."""


def need_lxml() -> None:
    if etree is None:
        raise OcrDocError("reading hOCR, ALTO and scans needs the scan extra: pip install 'vidiac[scan]'")


@dataclass
class Word:
    element: object  # its hOCR or ALTO element; None for a PDF's own text
    text: str
    box: tuple[int, int, int, int] | None
    confidence: float | None  # the engine's, 0 to 1
    # Per character as printed: the engine's confidence (0 to 1), and its readings of that place
    # (the printed one among them) with the weights its recogniser gave them.
    chars: list[tuple[str, float, dict[str, float]]] = field(default_factory=list)


@dataclass
class Page:
    number: int  # from 1
    kind: str = "hocr"  # or "alto", or "pdf": a PDF's own text, whose words have no element
    lines: list[list[Word]] = field(default_factory=list)
    paragraph_starts: set[int] = field(default_factory=set)  # indices of lines that open a paragraph

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line]

    def text(self) -> str:
        """The page as restoration reads it: words by spaces, lines by line breaks, paragraphs by a blank line."""
        out = []
        for i, line in enumerate(self.lines):
            if out:
                out.append("\n\n" if i in self.paragraph_starts else "\n")
            out.append(" ".join(w.text for w in line))
        return "".join(out)


def _classes(el) -> list[str]:
    return (el.get("class") or "").split()


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


class OcrDoc:
    """An hOCR or ALTO file's tree, its pages of words, and the way to write it back."""

    def __init__(self, tree, kind: str):
        self.tree, self.kind = tree, kind
        self.pages = self._hocr_pages() if kind == "hocr" else self._alto_pages()

    @classmethod
    def read(cls, path: Path) -> "OcrDoc":
        return cls.parse(path.read_bytes(), str(path))

    @classmethod
    def parse(cls, data: bytes, name: str = "input") -> "OcrDoc":
        """An hOCR or ALTO document, told apart by its root element."""
        need_lxml()
        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as e:
            if b"ocr_page" not in data:
                raise OcrDocError(f"{name}: neither hOCR nor well-formed ALTO XML: {e}") from None
            root = etree.fromstring(data, etree.HTMLParser())  # hOCR written as plain HTML
        if root is None:
            raise OcrDocError(f"{name}: empty, neither hOCR nor ALTO")
        kind = "alto" if _local(root) == "alto" else "hocr"
        doc = cls(etree.ElementTree(root), kind)
        if not doc.pages:
            raise OcrDocError(f"{name}: no page in it "
                              f"({'no <Page>' if kind == 'alto' else 'no element of class ocr_page'})")
        return doc

    def _hocr_pages(self) -> list[Page]:
        pages = []
        for el in self.tree.iter():
            if not isinstance(el.tag, str):
                continue
            classes = _classes(el)
            if "ocr_page" in classes:
                pages.append(Page(len(pages) + 1))
            elif pages and "ocr_par" in classes:
                pages[-1].paragraph_starts.add(len(pages[-1].lines))
            elif pages and any(c in classes for c in HOCR_LINES):
                pages[-1].lines.append([])
            elif pages and "ocrx_word" in classes:
                if not pages[-1].lines:
                    pages[-1].lines.append([])
                word = _hocr_word(el)
                if word.text:
                    pages[-1].lines[-1].append(word)
        for page in pages:
            page.lines = [line for line in page.lines if line]  # an empty line would read as a paragraph break
        return pages

    def _alto_pages(self) -> list[Page]:
        pages = []
        for el in self.tree.iter():
            name = _local(el)
            if name == "Page":
                pages.append(Page(len(pages) + 1, "alto"))
            elif pages and name == "TextBlock":
                pages[-1].paragraph_starts.add(len(pages[-1].lines))
            elif pages and name == "TextLine":
                pages[-1].lines.append([])
            elif pages and pages[-1].lines and name == "String":
                text = "".join((el.get("CONTENT") or "").split())
                box = [el.get(a) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]
                try:
                    x, y, w, h = (round(float(v)) for v in box)
                    bbox = (x, y, x + w, y + h)
                except (TypeError, ValueError):
                    bbox = None
                wc = el.get("WC")
                if text:
                    pages[-1].lines[-1].append(Word(el, text, bbox, float(wc) if wc else None))
        for page in pages:
            page.lines = [line for line in page.lines if line]
        return pages

    def write(self, path: Path) -> None:
        self.tree.write(str(path), encoding="utf-8", xml_declaration=True)

    def tostring(self) -> bytes:
        return etree.tostring(self.tree, encoding="utf-8", xml_declaration=True)


def _hocr_word(el) -> Word:
    """A word of hOCR, its characters and their alternatives where the engine wrote them
    (Tesseract's hocr_char_boxes and lstm_choice_mode 2)."""
    title = el.get("title") or ""
    box = _BBOX.search(title)
    conf = _WCONF.search(title)
    chars = []
    for child in el.iter():
        if child is el or not isinstance(child.tag, str) or "ocrx_cinfo" not in _classes(child):
            continue
        ident, ctitle = child.get("id") or "", child.get("title") or ""
        if ident.startswith("choice_") and chars:
            # Tesseract lists readings it gave no weight (x_confs 0): they say nothing.
            if (c := _CONF.search(ctitle)) and float(c.group(1)) > 0 and child.text:
                chars[-1][2][child.text] = float(c.group(1)) / 100
        elif "x_bboxes" in ctitle and child.text:
            c = _CONF.search(ctitle)
            chars.append((child.text, float(c.group(1)) / 100 if c else 1.0, {}))
    text = "".join(c for c, _, _ in chars) if chars else "".join("".join(el.itertext()).split())
    return Word(el, text, tuple(int(v) for v in box.groups()) if box else None,
                float(conf.group(1)) / 100 if conf else None, chars)


def flatten(page: Page) -> None:
    """Drop the per-character spans of a page's hOCR words, once their characters are read
    (Word.chars): a page of them holds tens of thousands of elements."""
    for word in page.words:
        if word.chars:
            _set_content(word.element, word.text)


def _set_content(el, text: str) -> None:
    for child in list(el):
        el.remove(child)
    el.text = text


def set_word(word: Word, text: str, kind: str) -> None:
    """Write `text` as the word's content, keeping its element, box and attributes."""
    if text == word.text:
        return
    word.text = text
    if kind == "pdf":
        return
    el = word.element
    if kind == "alto":
        el.set("CONTENT", text)
        return
    # A word in <strong> or <em> keeps it; its per-character spans no longer fit its letters and go.
    while len(el) == 1 and not (el.text or "").strip() and "ocrx_cinfo" not in _classes(el[0]):
        el = el[0]
    _set_content(el, text)


def fill(page: Page, restored: str, records: list[dict]) -> None:
    """Write a page's restored text (as `Page.text` laid it out) back into its words: each its
    record's output (two words the engine ran together stay in their one box, a space between),
    or where a word too long for the model was cut in pieces, the restored text's words."""
    words = page.words
    outputs = [r["output"] for r in records] if len(records) == len(words) else restored.split()
    if len(outputs) != len(words):  # restoration keeps words one for one
        raise RuntimeError(f"page {page.number}: {len(words)} words went in and {len(outputs)} came out")
    for word, text in zip(words, outputs):
        set_word(word, text, page.kind)


def located(page: Page, records: list[dict]) -> list[dict]:
    """The review records of a page's words with their page and box."""
    words = page.words
    if len(records) != len(words):  # a word too long for the model, cut in pieces: no box to give each
        return [{**r, "page": page.number} for r in records]
    return [{**r, "page": page.number, "box": list(w.box) if w.box else None} for r, w in zip(records, words)]
