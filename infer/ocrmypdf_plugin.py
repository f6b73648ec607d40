"""OCRmyPDF plugin: the searchable PDF's text layer in restored Vietnamese.

    ocrmypdf --plugin vidiac.infer.ocrmypdf_plugin -l vie scan.pdf searchable.pdf

OCRmyPDF's Tesseract writes each page's hOCR; vidiac restores its words in place, one for one,
so that each restored word keeps its box, and OCRmyPDF lays the text layer out from it. The
model is the default one, or the directory that VIDIAC_MODEL names.
"""
import functools
from pathlib import Path

from ocrmypdf import hookimpl
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine
from ocrmypdf.exceptions import BadArgsError
from transformers.utils import logging as hf_logging

from .ocrdoc import OcrDoc, fill
from .restorer import Restorer

# Tesseract's own PDF renderer writes its text layer without hOCR, so nothing could restore it.
SANDWICH = "vidiac restores the words of Tesseract's hOCR: use --pdf-renderer auto, fpdf2 or hocr, not sandwich"


@functools.cache  # once per OCRmyPDF worker
def restorer() -> Restorer:
    hf_logging.disable_progress_bar()  # OCRmyPDF draws its own
    return Restorer.from_pretrained()


def restore_hocr(hocr: Path, text: Path) -> None:
    """Restore an hOCR file in place, and write its restored text beside it."""
    doc = OcrDoc.read(hocr)
    reviewed = restorer().review([page.text() for page in doc.pages])
    for page, (restored, records) in zip(doc.pages, reviewed):
        fill(page, restored, records)
    doc.write(hocr)
    text.write_text("".join(restored + "\f" for restored, _ in reviewed), encoding="utf-8")


class VidiacEngine(TesseractOcrEngine):
    """Tesseract, with its words restored before OCRmyPDF renders them."""

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
    def generate_pdf(input_file, output_pdf, output_text, options):
        raise BadArgsError(SANDWICH)


@hookimpl
def check_options(options):
    if options.pdf_renderer == "sandwich":
        raise BadArgsError(SANDWICH)


@hookimpl
def get_ocr_engine(options):
    return VidiacEngine()
