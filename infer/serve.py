"""vidiac-serve: the restorer over HTTP (FastAPI on uvicorn), and a review page for clerks at /.

One thread owns the model. Requests that arrive while it is busy wait in a queue, and its
next batch takes all of them (up to restorer.BATCH_CHARS), so that concurrent clients share
the model's batches as the documents of one CLI run do.
"""
import argparse
import asyncio
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from transformers.utils import logging as hf_logging

from .cli import BLOCK_CHARS, PAGE_BREAK, SUFFIXES, InputError, as_read, blocks, kind_of, read_text
from .correction import Scanned
from .lexicon import MODES
from .ocrdoc import OcrDoc, OcrDocError, Page, fill, located
from .restorer import BATCH_CHARS, ModelDirError, Restorer, default_model_dir
from .scans import EngineError, Reader, read_pages
from .vietnamese import TONE_STYLES, WORD

PAGE = Path(__file__).with_name("review.html")
MAX_BYTES = 10_000_000  # a request body: a 30-page scanned PDF, or 10 MB of text
MAX_WAITING = 2_000_000  # characters queued for the model before new requests are told to come back
ALTERNATIVES = 6  # forms offered for a word on the review page
Constraint = Literal[(*MODES, "none")]
ToneStyle = Literal[TONE_STYLES]


class Busy(Exception):
    """More text waits for the model than the service queues."""


class Batcher:
    """Restores what concurrent requests ask for, in shared batches on one thread."""

    def __init__(self, restorer: Restorer, max_waiting: int = MAX_WAITING):
        self.restorer, self.max_waiting, self.waiting = restorer, max_waiting, 0
        self.queue: asyncio.Queue = asyncio.Queue()
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="vidiac-model")

    async def review(self, pieces: list[str | Scanned], constraint: str | None, tone_style: str | None):
        """`Restorer.review_batch` of `pieces`, batched with what other requests wait for."""
        size = sum(len(p.text if isinstance(p, Scanned) else p) for p in pieces)
        if self.waiting and self.waiting + size > self.max_waiting:
            raise Busy
        self.waiting += size
        future = asyncio.get_running_loop().create_future()
        self.queue.put_nowait(((constraint, tone_style), pieces, size, future))
        return await future

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self.queue.get()]
            while not self.queue.empty() and sum(j[2] for j in jobs) < BATCH_CHARS:
                jobs.append(self.queue.get_nowait())
            for options in dict.fromkeys(j[0] for j in jobs):  # one batch per set of options
                group = [j for j in jobs if j[0] == options]
                texts = [p for j in group for p in j[1]]
                constraint, tone_style = options
                try:  # a long request is restored BATCH_CHARS at a time, as the CLI restores a file
                    reviewed = await loop.run_in_executor(self.thread, lambda: list(self.restorer.stream(
                        texts, constraint=constraint, tone_style=tone_style)))
                except Exception as e:  # the model's failure is each request's 500, not the service's end
                    reviewed, error = None, e
                start = 0
                for _, pieces, size, future in group:
                    self.waiting -= size
                    if future.done():  # its client went away
                        pass
                    elif reviewed is None:
                        future.set_exception(error)
                    else:
                        future.set_result(reviewed[start:start + len(pieces)])
                    start += len(pieces)


def alternatives(restorer: Restorer, word: str) -> list[str]:
    """The forms a word could also be restored to, most frequent first: its one word's other
    forms in the lexicon, with its punctuation kept."""
    tokens = WORD.findall(word)
    if len(tokens) != 1:
        return []
    token = tokens[0]
    forms = restorer.lexicon.candidates(token, "skeleton")[:ALTERNATIVES]
    return [word.replace(token, f, 1) for f in forms]


def document(reviewed: list[tuple[str, list[dict]]], restorer: Restorer, pages: list[Page] | None = None,
             doc: OcrDoc | None = None) -> dict:
    """The --review structure of a restored document, each word with its alternatives; a scan's
    pages and an OCR export's words keep their boxes."""
    texts, words = [], []
    for i, (out, records) in enumerate(reviewed):
        if pages is not None:
            fill(pages[i], out, records)
            records = located(pages[i], records)
            out = (PAGE_BREAK if i else "") + out
        texts.append(out)
        words += [{**r, "alternatives": alternatives(restorer, r["output"])} for r in records]
    result = {"text": "".join(texts), "words": words}
    if doc is not None:
        result["document"] = doc.tostring().decode("utf-8")  # the hOCR or ALTO file, restored
    return result


class SizeLimit:
    """ASGI middleware: a request body over `max_bytes` is answered 413, whether its length is
    declared or only seen as it streams in."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        from fastapi import HTTPException
        from fastapi.responses import JSONResponse

        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse({"detail": f"request body of {int(declared):,} bytes; {self.limit}"}, 413)
            return await response(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:  # raised where the route reads its body, answered by FastAPI
                raise HTTPException(413, f"request body of more than {self.max_bytes:,} bytes; {self.limit}")
            return message
        await self.app(scope, counted, send)

    @property
    def limit(self) -> str:
        return f"the limit is {self.max_bytes:,} (vidiac-serve --max-bytes)"


def create_app(restorer: Restorer, max_bytes: int = MAX_BYTES, max_waiting: int = MAX_WAITING, ocr_lang: str = "vie"):
    """The service of a loaded restorer."""
    from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from pydantic import BaseModel, Field

    batcher = Batcher(restorer, max_waiting)
    ocr = ThreadPoolExecutor(1, thread_name_prefix="vidiac-ocr")  # one Tesseract: it is not thread-safe
    readers = {}

    @asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(batcher.run())
        yield
        task.cancel()
        batcher.thread.shutdown()
        ocr.shutdown()

    app = FastAPI(title="vidiac", summary="Restore Vietnamese diacritics in OCR'd and unaccented text",
                  lifespan=lifespan)
    app.add_middleware(SizeLimit, max_bytes=max_bytes)

    class RestoreRequest(BaseModel):
        text: str = Field(description="the text to restore, lines and spacing kept")
        constraint: Constraint | None = Field(None, description="skeleton, ocr or none")
        tone_style: ToneStyle | None = Field(None, description="traditional, modern or keep")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"the body is not JSON ({e['ctx']['error']} at character {e['loc'][-1]})"
                             if e["type"] == "json_invalid" else f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        return JSONResponse({"detail": f"bad request: {problems}"}, 400)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy):
        return JSONResponse({"detail": "busy: too much text waits to be restored; try again shortly"}, 503,
                            headers={"Retry-After": "2"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return PAGE.read_text(encoding="utf-8")

    @app.get("/health")
    async def health():
        """Answers once the model is loaded."""
        return {"status": "ok"}

    @app.post("/restore")
    async def restore(request: RestoreRequest):
        """The text restored, and per word its input, output, confidence, flag and alternatives."""
        pieces = list(blocks(request.text, BLOCK_CHARS))
        reviewed = await batcher.review(pieces, request.constraint, request.tone_style)
        return document(reviewed, restorer)

    @app.post("/restore/file")
    async def restore_file(file: UploadFile = File(description="a .txt, page image, PDF, hOCR or ALTO file"),
                           constraint: Constraint | None = Form(None), tone_style: ToneStyle | None = Form(None)):
        """An uploaded file restored: its text and words as /restore gives them, a scan's words with
        their page and box, and an hOCR or ALTO file also as the restored `document`."""
        name = Path(file.filename or "upload.txt").name
        if Path(name).suffix.lower() not in SUFFIXES:
            raise HTTPException(415, f"{name}: vidiac reads {', '.join(SUFFIXES)} files")
        data = await file.read()
        if len(data) > max_bytes:
            raise HTTPException(413, f"{name}: {len(data):,} bytes; the limit is {max_bytes:,}")
        kind = kind_of(Path(name))
        try:
            pieces, pages, doc = await asyncio.get_running_loop().run_in_executor(
                ocr, read_upload, name, data, kind, readers, ocr_lang)
        except (InputError, OcrDocError) as e:
            raise HTTPException(422, str(e)) from None
        except EngineError as e:  # the server's setup: no upload of this kind can be read here
            raise HTTPException(503, str(e)) from None
        reviewed = await batcher.review(pieces, constraint, tone_style)
        return {"name": name, "kind": kind, **document(reviewed, restorer, pages, doc)}

    return app


def read_upload(name: str, data: bytes, kind: str, readers: dict, ocr_lang: str):
    """An upload's pieces to restore, and its pages (scans and OCR exports); on the OCR thread,
    where `readers` keeps Tesseract loaded."""
    if kind == "markup":
        doc = OcrDoc.parse(data, name)
        return [as_read(p) for p in doc.pages], doc.pages, doc
    if kind == "text":
        return list(blocks(read_text(data, name), BLOCK_CHARS)), None, None

    def reader() -> Reader:
        if ocr_lang not in readers:
            readers[ocr_lang] = Reader(ocr_lang)
        return readers[ocr_lang]

    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as f:  # pdfium and Pillow read files
        f.write(data)
        f.flush()
        try:
            pages = list(read_pages(Path(f.name), reader))
        except EngineError:  # no Tesseract or language data: the setup's error, not the file's
            raise
        except Exception as e:  # pdfium and Pillow raise their own kinds for a damaged file
            raise OcrDocError(f"{name}: cannot read it as {'a PDF' if name.lower().endswith('.pdf') else 'an image'}: "
                              f"{e}") from None
    return [as_read(p) for p in pages] or [""], pages or [Page(1)], None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vidiac-serve", description=__doc__.split("\n")[0])
    parser.add_argument("-m", "--model", metavar="MODEL_DIR",
                        help=f"model directory or vidiac-export directory (default: {default_model_dir()})")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--max-bytes", type=int, default=MAX_BYTES,
                        help=f"largest request body (default: {MAX_BYTES:,})")
    parser.add_argument("--max-waiting", type=int, default=MAX_WAITING,
                        help=f"characters queued for the model before requests get 503 (default: {MAX_WAITING:,})")
    parser.add_argument("--ocr-lang", default="vie", help="Tesseract's language for uploaded scans (default: vie)")
    args = parser.parse_args(argv)
    try:
        import uvicorn
    except ImportError:
        print("vidiac-serve: serving needs the serve extra: pip install 'vidiac[serve]'", file=sys.stderr)
        return 2
    hf_logging.disable_progress_bar()
    try:
        restorer = Restorer.from_pretrained(args.model)  # before listening: /health answers once it is loaded
    except ModelDirError as e:
        print(f"vidiac-serve: {e}", file=sys.stderr)
        return 2
    app = create_app(restorer, args.max_bytes, args.max_waiting, args.ocr_lang)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")  # finishes its requests on SIGTERM and ^C
    return 0


if __name__ == "__main__":
    sys.exit(main())
