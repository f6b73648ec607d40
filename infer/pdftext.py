"""The text a PDF page already carries, as lines of words on their boxes, read by pdfium
without OCR: an earlier OCR's invisible layer under a page image, or text typed into the
document. Archives hold PDFs made searchable years ago, with a garbled layer: restoring its
words where they stand costs no OCR, and keeps the page as it is.
"""
import ctypes

from .ocrdoc import Page, Word

INVISIBLE = 3  # the text render mode that paints nothing: an OCR layer under a scan, as OCRmyPDF strips it
LINE_BREAKS = "\r\n"
SCANNED = 0.5  # a page an image covers this much of is a scan: its visible text is a stamp or a footer


def text_layer(page, number: int, size: tuple[int, int], invisible: bool = False) -> Page | None:
    """A pypdfium2 page's text as a Page numbered `number`, each word's box in the pixels of
    the page drawn `size` (width, height) large as a viewer shows it; `invisible`: only text
    that paints nothing (an OCR layer), so that visible text is left to the page. None where
    some of the text maps to no character (a font without a map): OCR reads such a page better."""
    import pypdfium2.raw as pdfium
    textpage = page.get_textpage()
    out = Page(number, kind="pdf")
    line, word, box = [], [], None

    def end_word():
        nonlocal word, box
        if word:
            line.append(Word(None, "".join(word), box, None))
        word, box = [], None

    def end_line():
        nonlocal line
        end_word()
        if line:
            out.lines.append(line)
        line = []

    def add(char: str, i: int):
        nonlocal box
        corners = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
        pdfium.FPDFText_GetCharBox(textpage, i, *(ctypes.byref(c) for c in corners))
        xs, ys = [], []
        for x, y in ((corners[0], corners[3]), (corners[1], corners[2])):
            dx, dy = ctypes.c_int(), ctypes.c_int()
            pdfium.FPDF_PageToDevice(page, 0, 0, size[0], size[1], 0, x, y, ctypes.byref(dx), ctypes.byref(dy))
            xs.append(dx.value)
            ys.append(dy.value)
        box = (min(xs), min(ys), max(xs), max(ys)) if box is None else (
            min(box[0], *xs), min(box[1], *ys), max(box[2], *xs), max(box[3], *ys))
        word.append(char)

    try:
        for i in range(pdfium.FPDFText_CountChars(textpage)):
            code = pdfium.FPDFText_GetUnicode(textpage, i)
            shown = pdfium.FPDFText_GetTextObject(textpage, i)
            if pdfium.FPDFText_HasUnicodeMapError(textpage, i):
                return None
            if invisible and shown and pdfium.FPDFTextObj_GetTextRenderMode(shown) != INVISIBLE:
                end_word()
            elif pdfium.FPDFText_IsHyphen(textpage, i):  # a word broken at the line's end: pdfium joins the lines
                add("-", i)
                end_line()
            elif chr(code) in LINE_BREAKS:
                end_line()
            elif chr(code).isspace() or code < 0x20 or code in (0xFFFE, 0xFFFF):
                end_word()
            else:
                add(chr(code), i)
        end_line()
    finally:
        textpage.close()
    return out


def own_text(page, number: int, size: tuple[int, int]) -> Page | None:
    """A pypdfium2 page's own text as `text_layer` reads it, where it has words to restore: its
    invisible OCR layer; or, on a page no image covers, its visible text. None where it has
    none, or text that maps to no character: OCR reads the page."""
    for invisible in (True, False):
        if not invisible and scanned(page):
            return None
        layer = text_layer(page, number, size, invisible)
        if layer is None or layer.words:
            return layer
    return None


def scanned(page) -> bool:
    """Whether an image covers most of the pypdfium2 page: a scan, whose visible text (a stamp,
    a page number) is not the page's text."""
    import pypdfium2.raw as pdfium
    left, bottom, right, top = page.get_cropbox()
    area = (right - left) * (top - bottom)
    for image in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE]):
        x0, y0, x1, y1 = image.get_bounds()
        if area and (x1 - x0) * (y1 - y0) >= SCANNED * area:
            return True
    return False
