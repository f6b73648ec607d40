"""vidiac-restore: restore Vietnamese diacritics in text files, folders or stdin."""
import argparse
import contextlib
import itertools
import json
import logging
import os
import sys
from collections import deque
from pathlib import Path

from tqdm import tqdm
from transformers.utils import logging as hf_logging

from .config import ConfigError
from .correction import Scanned
from .legacy import ENCODINGS as LEGACY_ENCODINGS, detect, to_unicode
from .lexicon import MODES
from .ocrdoc import MARKUP_SUFFIXES, OcrDoc, OcrDocError, Page, fill, located
from .restorer import ModelDirError, Restorer, default_model_dir
from .scans import IMAGE_DPI, PDF_SUFFIXES, SCAN_SUFFIXES, EngineError, Reader, count_pages, dpi_of, read_pages
from .vietnamese import TONE_STYLES

SUFFIXES = (".txt", *SCAN_SUFFIXES, *MARKUP_SUFFIXES)
PAGE_BREAK = "\f"  # between the pages of a scan's text, as Tesseract and pdftotext write them
# A long document is restored a block of lines at a time: memory stays flat, and worker
# processes share its blocks.
BLOCK_CHARS = 20_000
# A scan's pages wait for their batch with all the engine said of their characters: Tesseract
# takes seconds a page, so batches of a few pages cost no time and keep memory flat.
SCAN_BATCH_CHARS = 16_000
PARTIAL = ".part"  # a file being written; renamed to its name when complete


class InputError(Exception):
    """A user input problem, reported in one line without a traceback."""


def read_text(data: bytes, name: str, encoding: str = "utf-8", legacy: str = "auto") -> str:
    """A text file's bytes as Unicode; TCVN3, VNI and VIQR converted (`legacy`: auto detects
    it, none never converts, or the one it is), and said so on stderr."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        text = single_byte_legacy(data, legacy) if legacy != "none" else None
        if text is None:
            raise InputError(f"{name}: not valid {encoding} at byte {e.start} ({data[e.start:e.start + 4]!r}); "
                             "if it is Windows Vietnamese, pass --encoding cp1258") from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None
    found = detect(text) if legacy == "auto" else None if legacy == "none" else legacy
    if found:
        print(f"vidiac-restore: {name}: converted from {found}", file=sys.stderr)
        text = to_unicode(text, found)
    return text


def blocks(text: str, size: int):
    """`text` cut after line breaks into pieces of about `size` characters that join back
    exactly; at least one, so that an empty text gets an empty output."""
    start = 0
    while True:
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end
        if start >= len(text):
            return


def single_byte_legacy(data: bytes, legacy: str) -> str | None:
    """TCVN3 and VNI files are single-byte Windows text: read as cp1252, their letters come out right."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return text if (detect(text) if legacy == "auto" else legacy) in ("tcvn3", "vni") else None


def collect(inputs: list[str]) -> list[tuple[Path, Path]]:
    """(file, its path relative to the output) for each input file, folders walked for the files vidiac reads."""
    found = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            found += [(p, p.relative_to(path.parent)) for p in files]
        elif path.is_file():
            found.append((path, Path(path.name)))
        else:
            raise InputError(f"{item}: no such file or folder")
    return found


def kind_of(path: Path | None) -> str:
    suffix = "" if path is None else path.suffix.lower()
    return "scan" if suffix in SCAN_SUFFIXES else "markup" if suffix in MARKUP_SUFFIXES else "text"


def as_read(page: Page) -> str | Scanned:
    """A page as restoring takes it: with what the engine knew of each character, where it said."""
    words = page.words
    return Scanned(page.text(), [w.chars for w in words]) if any(w.chars for w in words) else page.text()


def output_name(rel: Path, kind: str, review: bool) -> Path:
    """A scan's restored text is a .txt, hOCR and ALTO files keep their name; a review is JSON."""
    if review and kind != "text":
        return rel.with_suffix(".json")
    return rel.with_suffix(".txt") if kind == "scan" else rel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vidiac-restore", description=__doc__)
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="text files (.txt), page images (.png, .jpg, .tif), PDFs, hOCR (.hocr) or ALTO (.xml) "
                             "files, or folders of them (default: stdin, text)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="output file, or folder when there are several inputs or a folder (default: stdout)")
    parser.add_argument("-m", "--model", metavar="MODEL_DIR",
                        help=f"model directory or vidiac-export directory (default: {default_model_dir()})")
    parser.add_argument("--beams", type=int, help="beam search width (default: the model's config, greedy)")
    parser.add_argument("--tone-style", choices=TONE_STYLES,
                        help="tone mark placement: traditional (hòa, thủy), modern (hoà, thuỷ), "
                             "keep (as the model wrote)")
    parser.add_argument("--encoding", default="utf-8", help="encoding of the inputs (default: utf-8)")
    parser.add_argument("--legacy", choices=("auto", *LEGACY_ENCODINGS, "none"), default="auto",
                        help="TCVN3 (.VnTime), VNI or VIQR input is converted to Unicode first; "
                             "auto (default) detects it per input, none never converts")
    parser.add_argument("--constraint", choices=(*MODES, "none"),
                        help="skeleton: only marks change (typed or stripped text); ocr: also known OCR "
                             "misreadings such as x4 -> xã; none: free generation (default: the model's config)")
    parser.add_argument("--keep-letters", action="store_true",
                        help="never correct a word's letters, only its marks (by default, a document that reads "
                             "like OCR has the words the engine misread corrected: cia -> của)")
    parser.add_argument("--review", action="store_true",
                        help="write JSON instead of text: the restored text and, per word, input, output, "
                             "a confidence and a flag, so that only uncertain words need a look")
    parser.add_argument("--ocr-lang", default="vie",
                        help="Tesseract's language for images and PDFs: vie (default), eng or vie+eng")
    parser.add_argument("--pdf", metavar="OUT_PDF",
                        help="write a searchable PDF of one PDF or page image instead of text: its pages as they "
                             "are, under a layer of restored words on their boxes (OCRmyPDF with vidiac's plugin)")
    parser.add_argument("--force-ocr", action="store_true",
                        help="OCR every page of a PDF; by default a page that carries text (an earlier OCR's layer, "
                             "or typed text) is restored from that text, without OCR")
    parser.add_argument("--threads", type=int, help="CPU threads for the model (default: its runtime's choice)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes, one CPU thread each, that share the files and the blocks of a long "
                             "one: on a machine with N cores, --jobs N restores an archive fastest (default: 1)")
    parser.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                        help="restore a folder tree with Ray Data, on a local Ray (no ADDRESS; --jobs actors) or "
                             "the cluster at ADDRESS (auto, or ray://HOST:10001); files already written are skipped")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (InputError, ModelDirError, ConfigError, OcrDocError, EngineError) as e:
        report(str(e))
        return 2
    except KeyboardInterrupt:
        return 130


def run(args) -> int:
    hf_logging.disable_progress_bar()  # a bar for loading 4 MB of weights is noise on a clerk's terminal
    files = collect(args.inputs)
    if args.pdf:
        return searchable(files, args)
    folder_out = len(files) > 1 or any(Path(i).is_dir() for i in args.inputs) or (
        args.output is not None and Path(args.output).is_dir())
    if folder_out and not args.output:
        raise InputError("several inputs or a folder need -o OUT, a folder to write into")
    if args.jobs < 1:
        raise InputError(f"--jobs: expected 1 or more worker processes, got {args.jobs}")
    if args.ray is not None:
        if not folder_out:
            raise InputError("--ray restores folders: give a folder (or several files) and -o OUT")
        from .archive import restore_archive  # Ray only where it is asked for
        return restore_archive(files, args)
    stdin_text = None if files else read_text(sys.stdin.buffer.read(), "stdin", args.encoding, args.legacy)
    restorer = Restorer.from_pretrained(args.model, jobs=args.jobs, threads=args.threads or 0,
                                        **({"ocr_severity": 0.0} if args.keep_letters else {}))
    if (args.beams or 1) > 1 and (args.constraint or restorer.config.infer.constraint) != "none":
        raise InputError("--beams needs --constraint none: constrained decoding is greedy")
    with restorer:
        failed = restore_files(restorer, files, args, folder_out, stdin_text)
    return 2 if failed else 0


def searchable(files: list[tuple[Path, Path]], args) -> int:
    """`--pdf`: OCRmyPDF with the plugin, which restores a page's own text layer where it has
    one (its mode redo) and Tesseract's words elsewhere, and keeps the page images byte for
    byte (no optimisation); with --force-ocr, every page is drawn anew and read by Tesseract."""
    if len(files) != 1 or kind_of(files[0][0]) != "scan":
        raise InputError("--pdf writes one searchable PDF: give one PDF or page image")
    path = files[0][0]
    count_pages(path)  # a damaged file: the error vidiac-restore gives for it
    # An image that says no resolution is taken to be at IMAGE_DPI, as when it is read to text.
    image_dpi = None if path.suffix.lower() in PDF_SUFFIXES or dpi_of(path) else IMAGE_DPI
    other = [flag for flag, value in (
        ("--review", args.review), ("--keep-letters", args.keep_letters), ("--constraint", args.constraint),
        ("--tone-style", args.tone_style), ("--beams", args.beams), ("-o", args.output), ("--jobs", args.jobs > 1),
        ("--threads", args.threads), ("--ray", args.ray is not None)) if value]
    if other:
        raise InputError(f"--pdf takes the model's defaults: drop {', '.join(other)}")
    try:
        import ocrmypdf
    except ImportError:
        raise InputError("--pdf needs OCRmyPDF: pip install 'vidiac[scan]'") from None
    if args.model:  # the plugin's restorer, in OCRmyPDF's workers
        os.environ["VIDIAC_MODEL"] = str(Path(args.model).resolve())
    for handler in ocrmypdf.configure_logging(ocrmypdf.Verbosity.default).handlers:
        handler.setLevel(logging.WARNING)  # its warnings and errors, not its progress notes
    try:
        done = ocrmypdf.ocr(path, args.pdf, plugins=["vidiac.infer.ocrmypdf_plugin"],
                            language=args.ocr_lang.split("+"), mode="force" if args.force_ocr else "redo",
                            output_type="pdf", optimize=0, image_dpi=image_dpi,
                            progress_bar=sys.stderr.isatty())
    except ocrmypdf.exceptions.ExitCodeException as e:  # a damaged or encrypted file says why in its cause
        why = str(e) or str(e.__cause__ or e.__context__ or "").split(": ", 1)[-1] or type(e).__name__
        raise InputError(f"{path}: {why}") from None
    if done != ocrmypdf.ExitCode.ok:
        raise InputError(f"{path}: OCRmyPDF wrote {args.pdf}, but it ended with {done.name}")
    return 0


def report(message: str) -> None:
    print(f"vidiac-restore: {message}", file=sys.stderr)


def restore_files(restorer: Restorer, files: list[tuple[Path, Path]], args, folder_out: bool,
                  stdin_text: str | None = None, failed=report) -> int:
    """Restore `files` ((file, path relative to the output)), or `stdin_text` where there are
    none, and write each one's output as `args` say; a file that cannot be read is given to
    `failed` and the others go on. Returns how many failed. A file's output is written under
    a temporary name and renamed when complete, so that a stopped run leaves no half file."""
    reader = None  # Tesseract, loaded at the first page to OCR (closed with the process)
    opened, errors = deque(), 0  # (path relative to the output, kind, number of pieces, its pages) of each file read

    def ocr() -> Reader:
        nonlocal reader
        reader = reader or Reader(args.ocr_lang)
        return reader

    def scan_pages(path: Path, n: int, pages: deque):
        """A scan's `n` pages, read one at a time as restoring needs them; a page that cannot be
        read is reported and stands as an empty page, so that the others keep their numbers."""
        nonlocal errors
        number = own = 0
        try:
            for number, page in enumerate(read_pages(path, ocr, args.force_ocr), 1):
                own += page.kind == "pdf"
                pages.append(page)
                yield as_read(page)
        except EngineError:  # no Tesseract or language data: the setup's error, not the file's
            raise
        except Exception as e:  # pdfium, Pillow and Tesseract raise their own kinds for a damaged page
            failed(f"{path}: page {number + 1}: cannot read it: {e}")
            errors += 1
        if own:
            report(f"{path}: {own} of {n} pages restored from the text they carry, without OCR "
                   "(--force-ocr to read them again)")
        for missing in range(number + 1, n + 1):
            pages.append(Page(missing))
            yield ""

    def pieces():
        """The blocks or pages of every input, read as restoring needs them; a file that cannot be
        read is reported and left out, and the others go on."""
        nonlocal errors
        for path, rel in files or [(None, None)]:  # no files: stdin
            kind = kind_of(path)
            try:
                if kind == "scan":
                    pages, n = deque(), max(1, count_pages(path))  # an empty PDF: one empty page
                    opened.append((rel, kind, n, pages))
                    yield from scan_pages(path, n, pages)
                    continue
                if kind == "markup":
                    doc = OcrDoc.read(path)
                    opened.append((rel, kind, len(doc.pages), doc))
                    yield from (as_read(page) for page in doc.pages)
                    continue
                text = stdin_text if path is None else read_text(path.read_bytes(), str(path), args.encoding,
                                                                 args.legacy)
            except (InputError, OcrDocError) as e:
                failed(str(e))
                errors += 1
                continue
            opened.append((rel, kind, sum(1 for _ in blocks(text, BLOCK_CHARS)), None))  # counted, not held twice
            yield from blocks(text, BLOCK_CHARS)

    scans = any(kind_of(path) == "scan" for path, _ in files)
    reviewed = restorer.stream(pieces(), SCAN_BATCH_CHARS if scans else None, num_beams=args.beams,
                               tone_style=args.tone_style, constraint=args.constraint)
    progress = tqdm(total=len(files), desc="restoring", unit="file", disable=len(files) < 2)
    for first in reviewed:
        rel, kind, n, held = opened.popleft()
        target = (None if not args.output else Path(args.output) / output_name(rel, kind, args.review)
                  if folder_out else Path(args.output))
        if target:
            target.parent.mkdir(parents=True, exist_ok=True)
        partial = target and target.with_name(target.name + PARTIAL)
        parts = itertools.chain([first], itertools.islice(reviewed, n - 1))
        if kind != "text":
            parts = tqdm(parts, total=n, desc=str(rel), unit="page", leave=False, disable=n < 2 or None)
        texts, words = [], []
        with open(partial, "w", encoding="utf-8") if target else contextlib.nullcontext(sys.stdout) as sink:
            for i, (out, records) in enumerate(parts):
                page = None if kind == "text" else held.popleft() if kind == "scan" else held.pages[i]
                if page is not None:
                    fill(page, out, records)
                    records = located(page, records)
                    out = (PAGE_BREAK if i else "") + out
                if args.review:
                    texts.append(out)
                    words += records
                elif kind in ("text", "scan"):  # written as it comes: memory does not grow with the file
                    sink.write(out)
            if kind == "scan" and not args.review:
                sink.write("\n")
            if args.review:
                sink.write(json.dumps({"text": "".join(texts), "words": words}, ensure_ascii=False, indent=1) + "\n")
            elif kind == "markup":
                sink.write(held.tostring().decode("utf-8"))
        if target:
            os.replace(partial, target)
        progress.update()
    progress.close()
    return errors


if __name__ == "__main__":
    sys.exit(main())
