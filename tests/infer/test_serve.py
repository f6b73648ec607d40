"""vidiac-serve, started on a free local port with the shipped model, as a user starts it."""
import asyncio
import concurrent.futures
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.infer.test_scans import page
from vidiac.infer.restorer import DEFAULT_MODEL, Restorer
from vidiac.infer.serve import Batcher, Busy
from vidiac.infer.vietnamese import strip_diacritics

MAX_BYTES = 100_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vidiac.infer.serve", "-m", str(DEFAULT_MODEL), "--port", str(port),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"vidiac-serve did not come up: {proc.communicate()[0]}")


@pytest.fixture(scope="module")
def server():
    proc, url = start("--max-bytes", str(MAX_BYTES))
    yield url
    proc.terminate()
    proc.wait(30)


def test_restore_gives_the_review_structure(server):
    r = httpx.post(f"{server}/restore", json={"text": "UBND xa Ba Bich da pho bien\n\nKet qua cong tac"}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["text"] == "UBND xã Ba Bích đã phổ biến\n\nKết quả công tác"
    assert [w["input"] for w in body["words"]] == "UBND xa Ba Bich da pho bien Ket qua cong tac".split()
    assert [w["output"] for w in body["words"]] == body["text"].split()
    xa = body["words"][1]
    assert 0 < xa["confidence"] <= 1 and xa["flag"] is None
    assert "xã" in xa["alternatives"] and "xa" in xa["alternatives"]


def test_options_reach_the_restorer(server):
    r = httpx.post(f"{server}/restore", json={"text": "hoa binh", "tone_style": "modern"}, timeout=60)
    assert r.json()["text"] == "hoà bình"
    r = httpx.post(f"{server}/restore", json={"text": "hoa binh", "tone_style": "traditional"}, timeout=60)
    assert r.json()["text"] == "hòa bình"


def test_a_text_file_and_a_page_image_are_restored(server, tmp_path):
    r = httpx.post(f"{server}/restore/file", files={"file": ("bao-cao.txt", "cong van so 12\n".encode())}, timeout=60)
    assert r.status_code == 200 and r.json()["text"] == "công văn số 12\n" and r.json()["kind"] == "text"
    page().save(tmp_path / "page.png", dpi=(200, 200))
    r = httpx.post(f"{server}/restore/file", files={"file": ("page.png", (tmp_path / "page.png").read_bytes())},
                   data={"constraint": "ocr"}, timeout=120)
    body = r.json()
    assert r.status_code == 200 and body["kind"] == "scan"
    assert "Kết quả công tác tuyên truyền" in body["text"]
    assert all(w["page"] == 1 and len(w["box"]) == 4 for w in body["words"])


def test_a_file_it_cannot_read_is_a_clear_error(server):
    r = httpx.post(f"{server}/restore/file", files={"file": ("scan.pdf", b"%PDF-1.4 not really")}, timeout=60)
    assert r.status_code == 422 and "scan.pdf: cannot read it as a PDF" in r.json()["detail"]
    r = httpx.post(f"{server}/restore/file", files={"file": ("old.txt", b"\xff\xfe\x00bad")}, timeout=60)
    assert r.status_code == 422 and "old.txt: not valid utf-8 at byte 0" in r.json()["detail"]
    r = httpx.post(f"{server}/restore/file", files={"file": ("letter.docx", b"PK\x03\x04")}, timeout=60)
    assert r.status_code == 415 and "letter.docx: vidiac reads .txt, .png" in r.json()["detail"]


def test_health_and_the_openapi_schema(server):
    assert httpx.get(f"{server}/health").json() == {"status": "ok"}
    paths = httpx.get(f"{server}/openapi.json").json()["paths"]
    assert {"/restore", "/restore/file", "/health"} <= set(paths)


def test_an_oversized_request_is_413_declared_or_streamed(server):
    text = "a " * MAX_BYTES
    r = httpx.post(f"{server}/restore", json={"text": text}, timeout=60)
    assert r.status_code == 413 and "the limit is 100,000" in r.json()["detail"]
    body = ('{"text": "' + text + '"}').encode()
    chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))  # no Content-Length: chunked
    r = httpx.post(f"{server}/restore", content=chunks, headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 413 and "more than 100,000 bytes" in r.json()["detail"]
    assert httpx.get(f"{server}/health").status_code == 200


@pytest.mark.parametrize("body, message", [
    (b'{"text": ', "the body is not JSON"),
    (b'{"txt": "a"}', "body.text: Field required"),
    (b'{"text": "a", "constraint": "loose"}', "body.constraint"),
])
def test_a_bad_body_is_400_with_a_message(server, body, message):
    r = httpx.post(f"{server}/restore", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and message in r.json()["detail"]


def test_concurrent_clients_each_get_their_own_text(server):
    texts = [f"Cong van so {i}/UBND ve viec ho tro {i} ho dan xa Dong Hoa" for i in range(20)]

    def ask(text):
        return httpx.post(f"{server}/restore", json={"text": text}, timeout=120).json()["text"]
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        restored = list(pool.map(ask, texts))
    for text, out in zip(texts, restored):
        assert strip_diacritics(out) == text and out.startswith("Công văn số")


def test_more_waiting_text_than_the_queue_takes_is_busy():
    async def run():
        batcher = Batcher(Restorer.from_pretrained(DEFAULT_MODEL), max_waiting=30)
        task = asyncio.create_task(batcher.run())
        first = asyncio.create_task(batcher.review(["cong van so 12 ve viec"], None, None))
        await asyncio.sleep(0)  # the first is queued (a request alone is always taken)
        with pytest.raises(Busy):
            await batcher.review(["ho tro ho dan xa Dong Hoa"], None, None)
        (out, _), = await first
        task.cancel()
        batcher.thread.shutdown()
        return out
    assert asyncio.run(run()) == "công văn số 12 về việc"


def test_sigterm_finishes_the_requests_in_flight_and_stops():
    proc, url = start()
    text = "Cong van so 12/UBND ve viec ho tro ho dan xa Dong Hoa\n" * 400  # some seconds of work
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.post, f"{url}/restore", json={"text": text}, timeout=120)
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        response = pending.result()
    out, _ = proc.communicate(timeout=30)
    assert response.status_code == 200 and response.json()["text"].count("Công văn số 12") == 400
    # uvicorn stops gracefully, then ends by the signal it was sent, as a service manager expects
    assert proc.returncode == -signal.SIGTERM and "Finished server process" in out and "Traceback" not in out


def test_a_missing_model_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "vidiac.infer.serve", "-m", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no such model directory" in r.stderr and "Traceback" not in r.stderr
