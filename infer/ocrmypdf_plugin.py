"""OCRmyPDF plugin: the searchable PDF's text layer in restored Vietnamese.

    ocrmypdf --plugin vidiac.infer.ocrmypdf_plugin -l vie scan.pdf searchable.pdf
    ocrmypdf --plugin vidiac.infer.ocrmypdf_plugin --mode redo --output-type pdf -O0 old.pdf restored.pdf

OCRmyPDF's Tesseract reads each page; vidiac restores its words in place, one for one, so that
each restored word keeps its box, and OCRmyPDF lays the text layer out from it. With
`--mode redo`, a page that already has an OCR layer (invisible text) is not read again: its
own words are restored on their boxes, and OCRmyPDF swaps the old layer for them, leaving the
page as it was. The model is the default one, or the directory VIDIAC_MODEL names.
"""
import functools
import threading
from pathlib import Path

from ocrmypdf import hookimpl
from ocrmypdf.builtin_plugins.pypdfium import _pdfium_lock
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine
from ocrmypdf.exceptions import BadArgsError
from ocrmypdf.hocrtransform import BoundingBox, HocrParser, OcrClass, OcrElement
from PIL import Image
from transformers.utils import logging as hf_logging

from .cli import as_read
from .ocrdoc import OcrDoc, Page, fill, flatten
from .pdftext import text_layer
from .restorer import Restorer

# Tesseract's hOCR with each character's confidence and the other readings it weighed there:
# the corrector's channel for the page, as vidiac-restore asks tesserocr for it (scans.Reader).
CHARS = Path(__file__).with_name("tesseract-chars.cfg")
SANDWICH = "vidiac restores the words of Tesseract's hOCR: use --pdf-renderer auto, fpdf2 or hocr, not sandwich"
# An earlier layer's boxes are on the page as it stands, not as OCRmyPDF would turn it.
ROTATE = "vidiac keeps an earlier text layer on its page as it stands: --mode redo takes no --rotate-pages"
# OCRmyPDF reads pages on several threads: one restorer serves them all, a page at a time.
RESTORING = threading.Lock()


@functools.cache  # once per OCRmyPDF worker process, under RESTORING
def restorer() -> Restorer:
    hf_logging.disable_progress_bar()  # OCRmyPDF draws its own
    return Restorer.from_pretrained()


def restore_pages(pages: list[Page]) -> list[str]:
    """Restore pages' words in place; their restored texts."""
    texts = [as_read(page) for page in pages]
    for page in pages:
        flatten(page)  # OCRmyPDF lays out the words, not the engine's readings of each character
    with RESTORING:
        reviewed = restorer().review(texts)
    for page, (restored, records) in zip(pages, reviewed):
        fill(page, restored, records)
    return [restored for restored, _ in reviewed]


def restore_hocr(hocr: Path, text: Path) -> None:
    """Restore an hOCR file in place, and write its restored text beside it."""
    doc = OcrDoc.read(hocr)
    restored = restore_pages(doc.pages)
    doc.write(hocr)
    text.write_text("".join(page + "\f" for page in restored), encoding="utf-8")


def earlier_layer(options, page_number: int, size: tuple[int, int]) -> Page | None:
    """The invisible words on page `page_number` (from 0) of the PDF being processed, on the
    pixels of its image `size` large, or None where it has none."""
    import pypdfium2
    path = Path(str(options.input_file))
    if not path.is_file():  # stdin: nothing to read twice
        return None
    with open(path, "rb") as f:
        if b"%PDF-" not in f.read(1024):  # an image: no layer
            return None
    with _pdfium_lock, pypdfium2.PdfDocument(path) as pdf:  # pdfium is not thread-safe; OCRmyPDF's lock
        page = pdf[page_number]
        page.set_cropbox(*page.get_mediabox())  # OCRmyPDF draws, and lays its layer on, the whole media box
        layer = text_layer(page, page_number + 1, size, invisible=True)
    return layer if layer and layer.words else None


def as_tree(page: Page, size: tuple[int, int], dpi: float) -> OcrElement:
    """A page of words on their boxes as OCRmyPDF's page tree."""
    lines = []
    for line in page.lines:
        words = [OcrElement(OcrClass.WORD, bbox=BoundingBox(*w.box), text=w.text) for w in line]
        left, top, right, bottom = zip(*(w.box for w in line))
        lines.append(OcrElement(OcrClass.LINE, bbox=BoundingBox(min(left), min(top), max(right), max(bottom)),
                                children=words))
    return OcrElement(OcrClass.PAGE, bbox=BoundingBox(0, 0, *size), children=lines, dpi=dpi,
                      page_number=page.number - 1)


class VidiacEngine(TesseractOcrEngine):
    """Tesseract, with its words restored before OCRmyPDF renders them; or where a page's
    OCR is redone, the words of its earlier layer, restored."""

    def __str__(self):
        return f"{super().__str__()} + vidiac"

    @staticmethod
    def creator_tag(options):
        return f"{TesseractOcrEngine.creator_tag(options)} + vidiac"

    @staticmethod
    def generate_hocr(input_file, output_hocr, output_text, options):
        TesseractOcrEngine.generate_hocr(input_file, output_hocr, output_text, options)
        restore_hocr(Path(output_hocr), Path(output_text))

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file, options, page_number=0):
        input_file = Path(input_file)
        with Image.open(input_file) as image:
            size, dpi = image.size, image.info.get("dpi", (300, 300))[0]
        layer = earlier_layer(options, page_number, size) if options.redo_ocr else None
        if layer is not None:
            text = restore_pages([layer])[0]
            return as_tree(layer, size, dpi), text
        hocr, text = input_file.with_suffix(".vidiac.hocr"), input_file.with_suffix(".vidiac.txt")
        VidiacEngine.generate_hocr(input_file, hocr, text, options)
        return HocrParser(hocr).parse(), text.read_text(encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file, output_pdf, output_text, options):
        raise BadArgsError(SANDWICH)


@hookimpl
def check_options(options):
    if options.pdf_renderer == "sandwich":
        raise BadArgsError(SANDWICH)
    if options.redo_ocr and options.rotate_pages:
        raise BadArgsError(ROTATE)
    if str(CHARS) not in options.tesseract_config:
        options.tesseract_config.append(str(CHARS))


@hookimpl
def get_ocr_engine(options):
    return VidiacEngine()
