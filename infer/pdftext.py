"""The text a PDF page already carries, as lines of words on their boxes, read by pdfium
without OCR: an earlier OCR's invisible layer under a page image, or text typed into the
document. Archives hold PDFs made searchable years ago, with a garbled layer: restoring its
words where they stand costs no OCR, and keeps the page as it is.
"""
import ctypes

from .ocrdoc import Page, Word

INVISIBLE = (3, 7)  # text render modes that paint nothing (7 also clips): the OCR layer under a scan
LINE_BREAKS = "\r\n"


def text_layer(page, number: int, size: tuple[int, int], invisible: bool = False) -> Page:
    """A pypdfium2 page's text as a Page numbered `number`, each word's box in the pixels of
    the page drawn `size` (width, height) large as a viewer shows it; `invisible`: only text
    that paints nothing (an OCR layer), so that visible text is left to the page."""
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

    corners = [ctypes.c_double() for _ in range(4)]
    device = [ctypes.c_int() for _ in range(4)]
    try:
        for i in range(pdfium.FPDFText_CountChars(textpage)):
            char = chr(pdfium.FPDFText_GetUnicode(textpage, i))
            shown = pdfium.FPDFText_GetTextObject(textpage, i)  # none for the spaces and breaks pdfium adds
            if char in LINE_BREAKS:
                end_line()
                continue
            if char.isspace() or not shown or (
                    invisible and pdfium.FPDFTextObj_GetTextRenderMode(shown) not in INVISIBLE):
                end_word()
                continue
            left, right, bottom, top = corners
            pdfium.FPDFText_GetCharBox(textpage, i, *(ctypes.byref(c) for c in (left, right, bottom, top)))
            for (x, y), (dx, dy) in zip(((left, top), (right, bottom)), (device[:2], device[2:])):
                pdfium.FPDF_PageToDevice(page, 0, 0, size[0], size[1], 0, x, y, ctypes.byref(dx),
                                         ctypes.byref(dy))
            xs, ys = sorted((device[0].value, device[2].value)), sorted((device[1].value, device[3].value))
            char_box = (xs[0], ys[0], xs[1], ys[1])
            box = char_box if box is None else (min(box[0], xs[0]), min(box[1], ys[0]),
                                                max(box[2], xs[1]), max(box[3], ys[1]))
            word.append(char)
        end_line()
    finally:
        textpage.close()
    return out
