"""Serving and archives: vidiac-serve under concurrent clients, and --ray against --jobs, beside the CLI.

Each measurement runs the real commands in processes of their own, on pages of stripped
held-out text, and times them by the wall clock, as a user would see them.
"""
import concurrent.futures
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write(pages: list[str], folder: Path) -> None:
    folder.mkdir(parents=True)
    for i, page in enumerate(pages):
        (folder / f"page{i:03}.txt").write_text(page, encoding="utf-8")


def _cli(model: str, args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vidiac.infer.cli", "-m", model, *args], env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def service(model: str, pages: list[str], clients: int, threads: int) -> dict:
    """Each of `clients` sends its share of `pages` one after another to a fresh vidiac-serve;
    throughput over the whole run after one warm-up request, and each request's latency. The
    CLI restores the same pages as files in one process (its model load included)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    pages = [pages[i % len(pages)] for i in range(max(len(pages), clients))]  # a request at least per client
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "vidiac.infer.serve", "-m", model, "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        httpx.post(f"{url}/restore", json={"text": pages[0]}, timeout=300).raise_for_status()

        def client(share: list[str]) -> list[float]:
            latencies = []
            with httpx.Client(timeout=300) as http:
                for page in share:
                    start = time.perf_counter()
                    http.post(f"{url}/restore", json={"text": page}).raise_for_status()
                    latencies.append(time.perf_counter() - start)
            return latencies
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            latencies = [t for ts in pool.map(client, [pages[i::clients] for i in range(clients)]) for t in ts]
        wall = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(60)
    with tempfile.TemporaryDirectory() as tmp:
        _write(pages, Path(tmp) / "in")
        cli = _cli(model, [str(Path(tmp) / "in"), "-o", str(Path(tmp) / "out")], env)
    chars = sum(map(len, pages))
    cuts = statistics.quantiles(latencies, n=20)
    return {"clients": clients, "threads": threads, "requests": len(latencies), "chars": chars,
            "service_chars_s": chars / wall,
            "p50": statistics.median(latencies), "p95": cuts[18], "cli_chars_s": chars / cli}


def archive(model: str, pages: list[str], jobs: int) -> dict:
    """The pages as a folder of files, restored by `--jobs` worker processes and by `--ray` with as
    many actors; wall time of each whole command (Ray's start included), and whether the bytes agree."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(pages, folder / "in")
        times = {"jobs": _cli(model, [str(folder / "in"), "-o", str(folder / "jobs"), "--jobs", str(jobs)], env),
                 "ray": _cli(model, [str(folder / "in"), "-o", str(folder / "ray"), "--ray", "--jobs", str(jobs)],
                             env)}
        same = all((folder / "jobs" / p.relative_to(folder / "ray")).read_bytes() == p.read_bytes()
                   for p in (folder / "ray").rglob("*.txt"))
        same = same and len(list((folder / "ray").rglob("*.txt"))) == len(pages)
    chars = sum(map(len, pages))
    return {"files": len(pages), "chars": chars, "jobs": jobs, "same": same,
            **{f"{k}_s": v for k, v in times.items()}, **{f"{k}_chars_s": chars / v for k, v in times.items()}}


def table(serving: dict, arch: dict, page_bytes: int) -> list[str]:
    s, a = serving, arch
    return [
        "## Serving and archives", "",
        f"vidiac-serve on this machine, its model on {s['threads']} threads: {s['clients']} concurrent clients, each "
        f"sending its share of {s['requests']} pages of stripped held-out text (up to {page_bytes:,} bytes, "
        f"{s['chars']:,} characters in all) one request after another, after one warm-up request. Latency: one "
        "request, sent to its answer. CLI: `vidiac-restore` on the same pages as files, one process, its model "
        "load included.", "",
        "| how | chars/s | p50 latency (s) | p95 latency (s) |", "|---|---|---|---|",
        f"| vidiac-serve, {s['clients']} clients | {s['service_chars_s']:,.0f} | {s['p50']:.2f} | {s['p95']:.2f} |",
        f"| vidiac-restore, the same pages | {s['cli_chars_s']:,.0f} | - | - |", "",
        f"An archive: {a['files']} such pages as files ({a['chars']:,} characters), restored by `vidiac-restore IN "
        f"-o OUT --jobs {a['jobs']}` and by `--ray --jobs {a['jobs']}` (a local Ray started by the command, "
        f"{a['jobs']} actors); whole commands, model loads and Ray's start included. Same bytes written: "
        f"{'yes' if a['same'] else 'NO'}.", "",
        "| how | seconds | chars/s |", "|---|---|---|",
        f"| --jobs {a['jobs']} | {a['jobs_s']:.1f} | {a['jobs_chars_s']:,.0f} |",
        f"| --ray --jobs {a['jobs']} | {a['ray_s']:.1f} | {a['ray_chars_s']:,.0f} |",
    ]
