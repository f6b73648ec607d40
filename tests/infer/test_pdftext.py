"""A PDF page's own text, read by pdfium: an earlier OCR's layer, typed text, and a scan's stamp."""
import pypdfium2
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image

from vidiac.infer.pdftext import own_text

SIZE = (2480, 3508)  # A4 at 300 dpi


def pdf_page(tmp_path, visible=(), invisible=(), image=False):
    """A one-page PDF: lines of visible text, lines of invisible text, and a page-wide image if asked."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    if image:
        Image.new("L", (827, 1169), 255).save(tmp_path / "scan.png")
        pdf.image(str(tmp_path / "scan.png"), x=0, y=0, w=595)
    pdf.set_font("Helvetica", size=13)
    for mode, lines, top in ((TextMode.FILL, visible, 700), (TextMode.INVISIBLE, invisible, 100)):
        pdf.text_mode = mode
        for i, line in enumerate(lines):
            pdf.text(72, top + 20 * i, line)
    pdf.output(str(tmp_path / "page.pdf"))
    return pypdfium2.PdfDocument(tmp_path / "page.pdf")[0]


def lines(page):
    return None if page is None else [[w.text for w in line] for line in page.lines]


def test_typed_text_is_read_by_lines_and_a_hyphen_at_a_lines_end_stays_with_its_line(tmp_path):
    page = own_text(pdf_page(tmp_path, visible=["Ket qua cong tac tuy-", "en truyen nam 2024"]), 1, SIZE)
    assert lines(page) == [["Ket", "qua", "cong", "tac", "tuy-"], ["en", "truyen", "nam", "2024"]]
    first = page.lines[0][0].box  # at 72 pt from the left, 700 pt from the top, in pixels at 300 dpi
    assert abs(first[0] - 300) < 8 and first[1] < 700 * 300 / 72 < first[3] + 5


def test_an_ocr_layer_is_read_without_the_visible_text_beside_it(tmp_path):
    page = own_text(pdf_page(tmp_path, visible=["BAN SAO"], invisible=["cua Uy ban", "nhan dan"], image=True), 1, SIZE)
    assert lines(page) == [["cua", "Uy", "ban"], ["nhan", "dan"]]


def test_a_scan_with_a_stamp_and_no_layer_is_left_to_ocr(tmp_path):
    assert own_text(pdf_page(tmp_path, visible=["Trang 1"], image=True), 1, SIZE) is None
    assert own_text(pdf_page(tmp_path), 1, SIZE) is None  # no text at all
