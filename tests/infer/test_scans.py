"""Scans in: page images, PDFs, hOCR and ALTO files through the real Tesseract, the shipped
model, and the real OCRmyPDF."""
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pikepdf
import pytest
from ocrmypdf.exceptions import BadArgsError
from ocrmypdf.hocrtransform import HocrParser
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFont

from vidiac.infer.cli import main
from vidiac.infer.ocrdoc import OcrDoc, OcrDocError, fill
from vidiac.infer.ocrmypdf_plugin import CHARS, check_options, restore_hocr
from vidiac.infer.restorer import DEFAULT_MODEL
from vidiac.infer.scans import Reader
from vidiac.train.ocr_pairs import font_file

LINES = ["Két qua cong tac tuyén truyén cai cach hanh chinh",
         "quy I nim 2024 cua Uy ban nhan dan xa Dong Hoa"]
RESTORED = ["Kết quả công tác tuyên truyền cải cách hành chính", "Ủy ban nhân dân"]
DPI = 200


def page(lines=LINES) -> Image.Image:
    """A page of text as a scanner at DPI would give it."""
    font = ImageFont.truetype(font_file("LiberationSerif-Regular.ttf"), round(13 / 72 * DPI))
    image = Image.new("L", (round(8.27 * DPI), round(3 * DPI)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((DPI, DPI // 2 + i * DPI // 4), line, font=font, fill=0)
    return image


def tesseract(image: Image.Image, tmp_path, fmt: str):
    image.save(tmp_path / "page.png", dpi=(DPI, DPI))
    subprocess.run(["tesseract", str(tmp_path / "page.png"), str(tmp_path / "page"), "-l", "eng", fmt],
                   check=True, capture_output=True)
    return tmp_path / ("page.hocr" if fmt == "hocr" else "page.xml")


def restore(args, capsys):
    code = main(["-m", str(DEFAULT_MODEL), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def layered(path: Path, pages: list[tuple[Image.Image, list[str] | None]]) -> list[tuple[float, float]]:
    """A PDF of page images, each under the invisible text layer of an earlier OCR where it
    has lines, as archives hold them; the points where each layer line starts."""
    pdf = FPDF(unit="pt", format="A4")
    starts = []
    for i, (image, lines) in enumerate(pages):
        pdf.add_page()
        image.save(path.with_suffix(f".{i}.png"), dpi=(DPI, DPI))
        pdf.image(str(path.with_suffix(f".{i}.png")), x=0, y=0, w=image.width * 72 / DPI)
        pdf.set_font("Helvetica", size=13)
        pdf.text_mode = TextMode.INVISIBLE
        for j, line in enumerate(lines or []):
            starts.append((72, 72 + 24 * j))
            pdf.text(*starts[-1], line)
    pdf.output(str(path))
    return starts


def boxes(doc: OcrDoc):
    return [w.box for p in doc.pages for w in p.words]


@pytest.mark.parametrize("fmt", ["hocr", "alto"])
def test_hocr_and_alto_come_back_restored_on_the_same_boxes(fmt, tmp_path, capsys):
    path = tesseract(page(), tmp_path, fmt)
    before = OcrDoc.read(path)
    code, _, err = restore([str(path), "-o", str(tmp_path / "out")], capsys)
    assert code == 0, err
    after = OcrDoc.read(tmp_path / "out")  # well-formed, and of the same kind
    assert boxes(after) == boxes(before) and len(boxes(after)) == sum(len(line.split()) for line in LINES)
    text = after.pages[0].text()
    assert all(r in text for r in RESTORED), text
    untouched = re.sub(rb'>[^<]*<|CONTENT="[^"]*"', b"", (tmp_path / "out").read_bytes())
    assert untouched == re.sub(rb'>[^<]*<|CONTENT="[^"]*"', b"", before.tostring())  # only the words changed


def test_a_two_page_pdf_and_a_png_give_restored_text_and_boxes(tmp_path, capsys):
    src = tmp_path / "scans"
    src.mkdir()
    page().save(src / "one.png", dpi=(DPI, DPI))
    page().save(src / "two.pdf", save_all=True, append_images=[page(LINES[::-1])], resolution=DPI)
    code, _, err = restore([str(src), "-o", str(tmp_path / "out")], capsys)
    assert code == 0, err
    pdf_text = (tmp_path / "out" / "scans" / "two.txt").read_text(encoding="utf-8")
    first, second = pdf_text.split("\f")
    assert all(r in first and r in second for r in RESTORED), pdf_text
    assert (first.index(RESTORED[0]) < first.index(RESTORED[1])
            and second.index(RESTORED[1]) < second.index(RESTORED[0]))
    assert all(r in (tmp_path / "out" / "scans" / "one.txt").read_text(encoding="utf-8") for r in RESTORED)

    code, out, err = restore([str(src / "two.pdf"), "--review"], capsys)
    review = json.loads(out)
    assert code == 0 and review["text"].split("\f")[0] == first
    assert {w["page"] for w in review["words"]} == {1, 2}
    assert all(len(w["box"]) == 4 and w["box"][0] < w["box"][2] for w in review["words"])
    kết = next(w for w in review["words"] if w["output"] == "Kết")
    assert kết["input"] in ("Két", "Kết") and kết["page"] == 1


def test_a_page_with_no_text_gives_an_empty_page(tmp_path, capsys):
    Image.new("L", (800, 600), 255).save(tmp_path / "blank.png")
    assert restore([str(tmp_path / "blank.png")], capsys)[:2] == (0, "\n")


def test_a_corrupt_pdf_is_reported_and_the_rest_restored(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    (src / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    (src / "bad.hocr").write_text("<html><body><p>no pages</p></body></html>")
    page().save(src / "good.png", dpi=(DPI, DPI))
    code, _, err = restore([str(src), "-o", str(tmp_path / "out")], capsys)
    assert code == 2 and "broken.pdf: cannot read it as a PDF" in err and "bad.hocr: no page in it" in err
    assert "Traceback" not in err
    assert RESTORED[1] in (tmp_path / "out" / "in" / "good.txt").read_text(encoding="utf-8")


def test_a_pdf_that_carries_text_is_restored_from_it_without_ocr(tmp_path, capsys):
    # A blank image under the layer: what comes out can only have come from the layer.
    blank = Image.new("L", page().size, 255)
    starts = layered(tmp_path / "old.pdf", [(blank, LINES)])
    code, out, err = restore([str(tmp_path / "old.pdf"), "--review"], capsys)
    assert code == 0 and "1 of 1 pages restored from the text they carry" in err, err
    review = json.loads(out)
    assert all(r in review["text"] for r in RESTORED), review["text"]
    assert [w["input"] for w in review["words"]] == " ".join(LINES).split()  # every word, in order
    first = review["words"][0]["box"]  # on the page as a scan of it at 300 dpi would place it
    assert abs(first[0] - starts[0][0] * 300 / 72) < 5 and first[1] < starts[0][1] * 300 / 72 < first[3]
    assert restore([str(tmp_path / "old.pdf"), "--force-ocr"], capsys)[:2] == (0, "\n")  # OCR sees a blank page


def test_restore_with_pdf_writes_the_searchable_pdf(tmp_path, capsys):
    layered(tmp_path / "old.pdf", [(Image.new("L", page().size, 255), LINES)])
    code, _, err = restore([str(tmp_path / "old.pdf"), "--pdf", str(tmp_path / "x.pdf"), "--review"], capsys)
    assert code == 2 and "--pdf takes the model's defaults: drop --review" in err
    code, _, err = restore([str(tmp_path / "old.pdf"), str(tmp_path / "old.pdf"), "--pdf", str(tmp_path / "x.pdf")],
                           capsys)
    assert code == 2 and "give one PDF or page image" in err and not (tmp_path / "x.pdf").exists()
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    code, _, err = restore([str(tmp_path / "broken.pdf"), "--pdf", str(tmp_path / "x.pdf")], capsys)
    assert code == 2 and "broken.pdf: cannot read it as a PDF" in err and "Traceback" not in err, err
    Image.new("RGBA", (800, 600), (255, 255, 255, 0)).save(tmp_path / "alpha.png", dpi=(DPI, DPI))
    code, _, err = restore([str(tmp_path / "alpha.png"), "--pdf", str(tmp_path / "x.pdf")], capsys)
    assert code == 2 and "alpha.png: The input image has an alpha channel" in err, err  # OCRmyPDF's refusal
    # As installed: OCRmyPDF runs in the command's process, and takes its standard output over.
    done = subprocess.run([str(Path(sys.executable).parent / "vidiac-restore"), "-m", str(DEFAULT_MODEL),
                           str(tmp_path / "old.pdf"), "--pdf", str(tmp_path / "new.pdf")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    layer = subprocess.run(["pdftotext", str(tmp_path / "new.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert all(r in layer for r in RESTORED) and "Két" not in layer, layer


def test_a_missing_language_pack_says_how_to_install_it(tmp_path, capsys):
    page().save(tmp_path / "p.png")
    code, _, err = restore([str(tmp_path / "p.png"), "--ocr-lang", "xyz"], capsys)
    assert code == 2 and "no language data for xyz" in err and "apt-get install" in err
    # Among other files: the run stops there, and no file's text goes to another's output.
    (tmp_path / "q.txt").write_text(LINES[0], encoding="utf-8")
    code, _, err = restore([str(tmp_path / "p.png"), str(tmp_path / "q.txt"), "--ocr-lang", "xyz",
                            "-o", str(tmp_path / "out")], capsys)
    assert code == 2 and "no language data for xyz" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "p.txt").exists()


def test_tesseract_alternatives_are_read_per_character():
    page_ = Reader("vie").page(page(), 1, DPI)
    words = page_.words
    assert " ".join(w.text for w in words).startswith("Két") and all(w.box for w in words)
    assert all(len(w.chars) == len(w.text) for w in words)  # each printed character, with its confidence
    assert all(0 <= conf <= 1 for w in words for _, conf, _ in w.chars)
    assert any(alternatives for w in words for _, _, alternatives in w.chars)


def test_a_page_that_loses_a_word_is_an_error_not_a_silent_shift(tmp_path):
    doc = OcrDoc.read(tesseract(page(), tmp_path, "hocr"))
    with pytest.raises(RuntimeError, match="words went in"):
        fill(doc.pages[0], "one two", [{"output": "one"}, {"output": "two"}])
    with pytest.raises(OcrDocError, match="neither hOCR nor well-formed ALTO"):
        OcrDoc.parse(b"<alto><Page>")


def test_the_ocrmypdf_plugin_writes_the_restored_text_layer(tmp_path):
    page().save(tmp_path / "scan.pdf", resolution=DPI)
    # The README's command, as installed.
    done = subprocess.run([str(Path(sys.executable).parent / "ocrmypdf"), "--plugin", "vidiac.infer.ocrmypdf_plugin",
                           "-l", "vie", str(tmp_path / "scan.pdf"), str(tmp_path / "out.pdf")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    layer = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert RESTORED[0] in layer and layer.index(RESTORED[0]) < layer.index(RESTORED[1]), layer


def test_the_plugin_reads_each_characters_readings_and_gives_ocrmypdf_words(tmp_path):
    page().save(tmp_path / "page.png", dpi=(DPI, DPI))
    subprocess.run(["tesseract", str(tmp_path / "page.png"), str(tmp_path / "page"), "-l", "vie", "hocr", "txt",
                    str(CHARS)], check=True, capture_output=True)  # as OCRmyPDF runs it with the plugin
    hocr = tmp_path / "page.hocr"
    assert all(w.chars for w in OcrDoc.read(hocr).pages[0].words)
    options = SimpleNamespace(pdf_renderer="auto", tesseract_config=[], redo_ocr=False, rotate_pages=False)
    check_options(options)
    check_options(options)
    assert options.tesseract_config == [str(CHARS)]  # what OCRmyPDF passes Tesseract, once
    with pytest.raises(BadArgsError, match="--rotate-pages"):
        check_options(SimpleNamespace(pdf_renderer="auto", tesseract_config=[], redo_ocr=True, rotate_pages=True))
    restore_hocr(hocr, tmp_path / "page.txt")
    assert b"ocrx_cinfo" not in hocr.read_bytes()  # OCRmyPDF would read every reading as the word's text
    laid_out = " ".join(w.text for w in HocrParser(hocr).parse().words)
    assert all(r in laid_out for r in RESTORED), laid_out
    assert RESTORED[0] in (tmp_path / "page.txt").read_text(encoding="utf-8")


def placed(pdf: Path, number: int) -> list[tuple[str, float, float]]:
    """The words of a PDF page's text, each with its left and top edge in points, as pdftotext sees them."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(number), "-l", str(number), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<', html)
    return [(w, float(x), float(y)) for x, y, w in found]


def test_the_plugin_redoes_an_earlier_layer_from_its_own_words_and_leaves_the_images(tmp_path):
    # Page 1: a blank image under a garbled layer, so that only its words can give text, on a
    # page cropped as scans often are; page 2: a scan with no layer, which Tesseract reads.
    layered(tmp_path / "layered.pdf", [(Image.new("L", page().size, 255), LINES), (page(), None)])
    with pikepdf.open(tmp_path / "layered.pdf") as pdf:
        pdf.pages[0].cropbox = [30, 40, 560, 800]
        pdf.save(tmp_path / "old.pdf")
    done = subprocess.run([str(Path(sys.executable).parent / "ocrmypdf"), "--plugin", "vidiac.infer.ocrmypdf_plugin",
                           "--mode", "redo", "--output-type", "pdf", "-O0", "-l", "vie",
                           str(tmp_path / "old.pdf"), str(tmp_path / "new.pdf")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for number in (1, 2):
        layer = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(tmp_path / "new.pdf"), "-"],
                               capture_output=True, text=True, check=True).stdout
        assert RESTORED[0] in layer and layer.index(RESTORED[0]) < layer.index(RESTORED[1]), layer
        assert "Két" not in layer and "tuyén" not in layer  # the old layer is gone, not kept beside the new
    before, after = placed(tmp_path / "old.pdf", 1), placed(tmp_path / "new.pdf", 1)
    assert len(before) == len(after) == len(" ".join(LINES).split())
    assert all(abs(x - x2) < 3 and abs(y - y2) < 4 for (_, x, y), (_, x2, y2) in zip(before, after)), (before, after)
    old, new = pikepdf.open(tmp_path / "old.pdf"), pikepdf.open(tmp_path / "new.pdf")
    assert [[im.read_raw_bytes() for im in p.get_images().values()] for p in old.pages] == \
        [[im.read_raw_bytes() for im in p.get_images().values()] for p in new.pages]  # every image byte for byte
