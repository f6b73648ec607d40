"""Restore every set with one system in a fresh process; time it and read its peak memory.

    python benchmarks/measure.py JOB.json RESULT.json

run.py starts one process per system, so that memory and threads are that system's
alone. After the imports every system shares (torch, transformers), the process's peak
resident memory is reset to its current size (Linux /proc/self/clear_refs); the peak
while loading and running the system, less that size, is the system's memory.
"""
import json
import pickle
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baselines import Identity, Pyvi  # noqa: E402

from vidiac.infer import Restorer  # noqa: E402
from vidiac.infer.correction import Scanned  # noqa: E402

PAGE_REPEATS = 3
SCANNED = ", engine's characters"  # the outputs of a set restored as Scanned


def status_mb(field: str) -> float:
    """VmRSS (resident now) or VmHWM (peak resident) of this process, in MB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024


def workers_private_mb() -> float:
    """The memory this process's children (worker processes) hold alone, in MB: what they share
    with it (the model, the lexicon) is counted once, in this process."""
    pids = [pid for task in Path("/proc/self/task").iterdir() for pid in (task / "children").read_text().split()]
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            total += sum(int(line.split()[1]) for line in f if line.startswith(("Private_Clean:", "Private_Dirty:")))
    return total / 1024


def load(job: dict):
    kind = job["system"]
    if kind == "model":  # a model directory, or a vidiac-export directory on its runtime
        return Restorer.from_pretrained(job["model"], threads=job["threads"])
    if kind == "model workers":
        return Restorer.from_pretrained(job["model"], jobs=job["threads"])
    if kind == "identity":
        return Identity()
    if kind == "pyvi":
        return Pyvi()
    with open(job["pickle"], "rb") as f:  # a baseline run.py built from the training split
        return pickle.load(f)


def main() -> int:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    torch.set_num_threads(job["threads"])
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak resident memory starts again from here
    shared_mb = status_mb("VmRSS")
    start = time.perf_counter()
    system = load(job)
    load_s = time.perf_counter() - start
    outputs, seconds, failures = {}, {}, {}
    for name, sources in job["sets"].items():
        before = getattr(system, "failures", 0)
        start = time.perf_counter()
        outputs[name] = system.restore_many(sources)
        seconds[name] = time.perf_counter() - start
        failures[name] = getattr(system, "failures", 0) - before
    if job["system"] == "model":  # the ladder's pages again, with what the engine knew of each character
        for name, chars in job["scanned"].items():
            outputs[name + SCANNED] = system.restore_many([Scanned(t, c) for t, c in zip(job["sets"][name], chars)])
    page = []
    for _ in range(PAGE_REPEATS):
        start = time.perf_counter()
        system.restore_many([job["page"]])
        page.append(time.perf_counter() - start)
    workers_mb = workers_private_mb()  # at the end of the run: below their peak where the allocator gave memory back
    result = {
        "outputs": outputs, "seconds": seconds, "failures": failures, "load_s": load_s,
        "page_s": statistics.median(page), "shared_mb": shared_mb, "peak_mb": status_mb("VmHWM") + workers_mb,
        "parameters": (sum(p.numel() for p in system.backend.model.parameters())
                       if isinstance(system, Restorer) and system.backend.runtime == "pytorch" else None),
    }
    Path(sys.argv[2]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
