"""Page images and PDFs read by Tesseract (tesserocr), a page at a time, as hOCR pages; a PDF
page that carries its own text is read from it instead (pdftext.py).

A PDF page is rendered (pypdfium2) only when its turn comes, and a multi-page TIFF is read a
frame at a time, so that a 300-page scan never sits in memory. Tesseract is asked for each
character's confidence and its other readings (hocr_char_boxes, lstm_choice_mode 2).
"""
import math
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Iterator

from .ocrdoc import OcrDoc, OcrDocError, Page, flatten, need_lxml
from .pdftext import own_text

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
PDF_SUFFIXES = (".pdf",)
SCAN_SUFFIXES = IMAGE_SUFFIXES + PDF_SUFFIXES
RENDER_DPI = 300  # a PDF page's rendering for OCR: Tesseract reads body text best at 300 dpi
IMAGE_DPI = 300  # assumed for an image that does not say
TESSDATA = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
            "/usr/share/tessdata", "/usr/local/share/tessdata")
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-vie (and tesseract-ocr-eng for --ocr-lang eng)"


class ScanError(OcrDocError):
    """A scan that cannot be read."""


class EngineError(Exception):
    """No Tesseract, or no language data for it: an error of the setup, not of a file."""


def tessdata() -> str:
    """Tesseract's language data folder: TESSDATA_PREFIX, else the one the tesseract command
    lists, else the usual install places."""
    if os.environ.get("TESSDATA_PREFIX"):
        return os.environ["TESSDATA_PREFIX"]
    if shutil.which("tesseract"):
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout
        if found := re.search(r'"([^"]+)"', listed.split("\n", 1)[0]):
            return found.group(1)
    return next((d for d in TESSDATA if os.path.isdir(d)), TESSDATA[0])


class Reader:
    """Tesseract, loaded once for `lang` (`vie`, `eng`, `vie+eng`), reading pages to hOCR;
    `psm`: its page segmentation mode (3: automatic)."""

    def __init__(self, lang: str = "vie", psm: int = 3):
        need_lxml()
        try:
            import pypdfium2  # noqa: F401  (both come with the scan extra)
            import tesserocr
        except ImportError:
            raise EngineError("reading scans needs the scan extra: pip install 'vidiac[scan]'") from None
        path = tessdata()
        _, have = tesserocr.get_languages(path)
        missing = [code for code in lang.split("+") if code not in have]
        if missing:
            raise EngineError(f"Tesseract has no language data for {', '.join(missing)} in {path}: {INSTALL}, "
                              "or set TESSDATA_PREFIX")
        self.api = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=psm)
        self.api.SetVariable("hocr_char_boxes", "1")
        self.api.SetVariable("lstm_choice_mode", "2")

    def page(self, image, number: int, dpi: int) -> Page:
        """One page image read to an hOCR page."""
        self.api.SetImage(image.convert("L") if image.mode not in ("L", "RGB", "1") else image)
        self.api.SetSourceResolution(dpi)
        self.api.Recognize()
        hocr = self.api.GetHOCRText(number - 1)
        page = OcrDoc.parse(f"<html xmlns='http://www.w3.org/1999/xhtml'><body>{hocr}</body></html>".encode()).pages[0]
        page.number = number
        flatten(page)
        return page


def count_pages(path: Path) -> int:
    """How many pages a scan has; a clear error where it is not the image or PDF it is named as."""
    try:
        if path.suffix.lower() in PDF_SUFFIXES:
            import pypdfium2
            with pypdfium2.PdfDocument(path) as pdf:
                return len(pdf)
        from PIL import Image
        with Image.open(path) as image:
            return getattr(image, "n_frames", 1)
    except Exception as e:  # pdfium and Pillow raise their own kinds for a corrupt file
        raise ScanError(f"{path}: cannot read it as {'a PDF' if path.suffix.lower() == '.pdf' else 'an image'}: "
                        f"{e}") from None


def read_pages(path: Path, reader: Callable[[], Reader], force_ocr: bool = False) -> Iterator[Page]:
    """Each page of a scan, one at a time: a PDF page that carries text, unless `force_ocr`, as
    that text on its boxes (an earlier OCR's invisible layer; or, on a page no image covers,
    typed text); any other page as Tesseract reads it, `reader()` giving the Reader."""
    if path.suffix.lower() in PDF_SUFFIXES:
        import pypdfium2
        with pypdfium2.PdfDocument(path) as pdf:
            for i in range(len(pdf)):
                page = pdf[i]
                try:
                    scale = RENDER_DPI / 72
                    own = None if force_ocr else own_text(
                        page, i + 1, (math.ceil(page.get_width() * scale), math.ceil(page.get_height() * scale)))
                    image = None if own else page.render(scale=scale, grayscale=True).to_pil()
                finally:
                    page.close()
                yield own if image is None else reader().page(image, i + 1, RENDER_DPI)
        return
    from PIL import Image, ImageSequence
    with Image.open(path) as image:
        for number, frame in enumerate(ImageSequence.Iterator(image), 1):
            yield reader().page(frame.copy(), number, _dpi(frame) or IMAGE_DPI)


def _dpi(image) -> int | None:
    dpi = image.info.get("dpi", (0, 0))[0]
    return round(dpi) if dpi and dpi > 1 else None


def dpi_of(path: Path) -> int | None:
    """The resolution an image file says it has, or None."""
    from PIL import Image
    with Image.open(path) as image:
        return _dpi(image)
