"""Scans in: page images, PDFs, hOCR and ALTO files through the real Tesseract, the shipped
model, and the real OCRmyPDF."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from vidiac.infer.cli import main
from vidiac.infer.ocrdoc import OcrDoc, OcrDocError, fill
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


def test_a_missing_language_pack_says_how_to_install_it(tmp_path, capsys):
    page().save(tmp_path / "p.png")
    code, _, err = restore([str(tmp_path / "p.png"), "--ocr-lang", "xyz"], capsys)
    assert code == 2 and "no language data for xyz" in err and "apt-get install" in err


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
