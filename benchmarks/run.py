"""Accuracy, speed and memory of a model beside classical baselines, on held-out sets.

    python benchmarks/run.py --model models/default --ocr-pairs ocr-pairs.jsonl --ladder ladder-test.jsonl

Builds the held-out sets once from the corpora's test split (the model's split; cached
in benchmarks/cache/, never committed), builds the baselines from the training split
(cached too), restores every set with each system in a process of its own
(benchmarks/measure.py), scores the outputs and writes benchmarks/RESULTS.md.
"""
import argparse
import json
import os
import pickle
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from baselines import MostFrequent, Trigram  # noqa: E402
from measure import SCANNED  # noqa: E402
from generate import generate_scores, table as generate_table  # noqa: E402
from serving import archive, service, table  # noqa: E402
from sets import (BenchmarkError, BenchSet, cache_key, documents, ladder_sets, synthetic_sets,  # noqa: E402
                  tesseract_sets, training_lines)

from vidiac.infer import ConfigError, ModelDirError, load_config  # noqa: E402
from vidiac.infer.backends import check_model_dir, is_export  # noqa: E402
from vidiac.infer.vietnamese import set_tone_style, strip_diacritics  # noqa: E402
from vidiac.train.metrics import CATEGORIES, category_accuracy, left_as_input, right_words_changed, scores  # noqa: E402

SYSTEMS = ("model", "model workers", "identity", "most-frequent form", "syllable trigram", "pyvi")
RARE_PER_MILLION = 100  # a syllable rarer than this in the baselines' training text is rare


def baselines(corpora: list[str], cfg, max_lines: int | None, cache_dir: Path) -> tuple[Trigram, dict]:
    """The trigram and most-frequent baselines, built from the training split once and pickled."""
    tc = cfg.train
    key = cache_key(*map(Path, corpora), max_lines, tc.dev_per_mille, tc.test_per_mille,
                    (HERE / "baselines.py").read_text())
    folder = cache_dir / f"baselines-{key}"
    pickles = {name: folder / f"{name.replace(' ', '-')}.pkl" for name in ("most-frequent form", "syllable trigram")}
    if all(p.exists() for p in pickles.values()):
        with open(pickles["syllable trigram"], "rb") as f:
            return pickle.load(f), pickles
    start = time.perf_counter()
    trigram = Trigram(training_lines(corpora, cfg, max_lines))
    print(f"baselines built from {trigram.total:,} training syllables in {time.perf_counter() - start:.0f} s",
          flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    for name, system in (("most-frequent form", MostFrequent(trigram.forms)), ("syllable trigram", trigram)):
        with open(pickles[name], "wb") as f:
            pickle.dump(system, f, protocol=pickle.HIGHEST_PROTOCOL)
    return trigram, pickles


def page_of(docs: list[str], limit: int) -> str:
    """Up to `limit` bytes of stripped text, cut at a line end: a page of a scanned report."""
    lines, size = [], 0
    for line in strip_diacritics("\n".join(docs)).split("\n"):
        if lines and size + len(line.encode()) + 1 > limit:
            break
        lines.append(line)
        size += len(line.encode()) + 1
    return "\n".join(lines)


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has been busy, from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat") as f:
            user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    except OSError:
        return None
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def measure(system: str, job: dict, threads: int) -> dict:
    """Run benchmarks/measure.py for one system in a fresh process limited to `threads` threads.

    Also measures how many cores other processes kept busy meanwhile: timings taken beside
    other work are slower than the hardware allows, and the report says so.
    """
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as tmp:
        job_path, out_path = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job_path.write_text(json.dumps({**job, "system": system}, ensure_ascii=False), encoding="utf-8")
        busy, own = _busy_cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(HERE / "measure.py"), str(job_path), str(out_path)],
                              env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode:
            raise BenchmarkError(f"{system} failed in benchmarks/measure.py:\n{proc.stderr[-3000:]}")
        result = json.loads(out_path.read_text(encoding="utf-8"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
    result["other_cores"] = None if busy is None else max(0.0, (_busy_cpu_seconds() - busy - own_cpu) / wall)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default"),
                        help="model directory (its config gives the held-out split)")
    parser.add_argument("--legal", default=str(ROOT.parent / "shared/corpus/legal.txt.xz"), help="legal corpus")
    parser.add_argument("--news", default=str(ROOT.parent / "shared/corpus/news.txt.xz"), help="news corpus")
    parser.add_argument("--ocr-pairs", help="JSONL of {source, target, engine} records from vidiac-ocr-pairs")
    parser.add_argument("--ladder", help="JSONL of scan-quality ladder pages of the test split (vidiac-ladder build)")
    parser.add_argument("--docs", type=int, default=100, help="held-out documents of 1-2 KB per corpus")
    parser.add_argument("--baseline-lines", type=int,
                        help="build the baselines from the first N lines of each corpus (default: all)")
    parser.add_argument("--page-bytes", type=int, default=4096, help="size of the page timed alone")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the service")
    parser.add_argument("--generate-docs", type=int, default=20,
                        help="documents per stripped set restored by model.generate, alone and constrained")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads per system; from 2, the model also runs in as many worker processes "
                             "of one thread")
    parser.add_argument("--exports", nargs="*", default=[], metavar="DIR",
                        help="vidiac-export directories of the model, restoring every set through the whole pipeline "
                             "on their runtimes beside PyTorch")
    parser.add_argument("--cache", default=str(HERE / "cache"), help="where sets and baselines are cached")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args(argv)
    args.command = shlex.join(["python", "benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    try:
        run(args)
    except (BenchmarkError, ModelDirError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def run(args) -> None:
    cfg = load_config(check_model_dir(args.model))
    for path in args.exports:
        if not is_export(check_model_dir(path)):
            raise BenchmarkError(f"{path}: is not a vidiac-export directory")
    cache = Path(args.cache)
    corpora = {"legal": args.legal, "news": args.news}
    docs = documents(corpora, args.docs, cfg, cache)
    sets = synthetic_sets(docs) + tesseract_sets(args.ocr_pairs, cfg)
    ladder = ladder_sets(args.ladder)
    sets += ladder
    for s in sets:
        print(f"{s.name}: {len(s.sources)} documents {s.note}", flush=True)
    trigram, pickles = baselines(list(corpora.values()), cfg, args.baseline_lines, cache)
    job = {"model": args.model, "threads": args.threads, "page": page_of(docs["legal"], args.page_bytes),
           "sets": {s.name: s.sources for s in sets if s.sources},
           "scanned": {s.name: [page.chars for page in s.scanned] for s in ladder if s.scanned}}
    results = {}
    for system in (s for s in SYSTEMS if s != "model workers" or args.threads > 1):
        results[system] = measure(system, {**job, "pickle": str(pickles.get(system, ""))}, args.threads)
        print(f"{system}: {sum(results[system]['seconds'].values()):.1f} s", flush=True)
    exported = {}
    for path in args.exports:
        exported[path] = measure("model", {**job, "model": path, "scanned": {}}, args.threads)
        print(f"export {path}: {sum(exported[path]['seconds'].values()):.1f} s", flush=True)
    rare_below = RARE_PER_MILLION * trigram.total / 1e6
    scored = {system: {s.name: {**scores(r["outputs"][s.name], s.targets),
                                **category_accuracy(r["outputs"][s.name], s.targets,
                                                    lambda w: trigram.counts.get(w, 0) < rare_below)}
                       for s in sets if s.sources}
              for system, r in results.items()}
    for s in ladder:
        if s.scanned:
            scored["model"][s.name + SCANNED] = scores(results["model"]["outputs"][s.name + SCANNED], s.targets)
        for system, r in results.items():
            for name in (s.name, s.name + SCANNED) if s.scanned and system == "model" else (s.name,):
                scored[system][name]["left"] = left_as_input(r["outputs"][name], s.sources, s.targets)
                scored[system][name]["changed"] = right_words_changed(r["outputs"][name], s.sources, s.targets)
    # Pages of 4 documents each, of both corpora, for the service and the archive.
    pages = [page_of(ds[i:i + 4], args.page_bytes) for ds in docs.values() for i in range(0, max(1, len(ds) - 3), 4)]
    served = service(args.model, pages, args.clients, args.threads)
    print(f"service: {served['service_chars_s']:,.0f} chars/s, p95 {served['p95']:.2f} s", flush=True)
    archived = archive(args.model, pages, args.threads)
    print(f"archive: --jobs {archived['jobs_s']:.1f} s, --ray {archived['ray_s']:.1f} s", flush=True)
    stripped = [s for s in sets if s.name.endswith(", stripped") and s.sources]
    generated = generate_scores(args.model, stripped, args.generate_docs, args.threads)
    familiar = {name: trigram.seen_share(set_tone_style(d, "traditional") for d in ds)
                for name, ds in docs.items() if ds}
    Path(args.out).write_text(report(args, cfg, sets, ladder, docs, job["page"], results, scored, trigram, familiar,
                                     table(served, archived, args.page_bytes) + [""]
                                     + generate_table(generated, args.generate_docs)
                                     + runtimes_table(sets, results["model"], exported)), encoding="utf-8")
    print(f"wrote {args.out}")


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def _commit() -> str:
    def git(*a):
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # this file, rewritten by the last run, is the one change that does not change what is measured
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)benchmarks/RESULTS.md")
    return commit + (" with uncommitted changes" if changed else "")


def _shown(path: str) -> str:
    """A path inside the repository as relative to it, so that reports compare across checkouts."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def _name(system: str, args) -> str:
    if system == "model workers":
        return f"vidiac ({Path(args.model).name}), {args.threads} worker processes"
    return f"vidiac ({Path(args.model).name})" if system == "model" else system


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


def ladder_table(args, ladder: list[BenchSet], results, scored) -> list[str]:
    """Word accuracy per level and engine, with the input's CER and the share of the model's wrong
    words that it left exactly as the engine printed them."""
    systems = [s for s in results if s != "model workers"]
    chars = all(s.name + SCANNED in scored["model"] for s in ladder)
    out = ["## Scan-quality ladder", "",
           f"Pages laid out as administrative documents (Decree 30/2020/NĐ-CP), with body paragraphs of the test "
           f"split, scanned at each level (`vidiac-ladder levels`) and read by Tesseract (tesserocr); one document "
           f"per page, {len(ladder[0].sources)} pages per level. Input CER: the engine's text against the printed "
           "text. The systems read the engine's text, as a user's text file holds it"
           + (f"; `{_name('model', args)}{SCANNED}` reads the same pages as `vidiac-restore` reads page images: "
              "with each character's confidence and its other readings (`correction.Scanned`)" if chars else "")
           + ". Left as OCR: of the model's wrong words, the share it left exactly as the engine printed them. "
           "Right words changed: of the words the engine read right, those the model changed.", ""]
    names = [_name(s, args) for s in systems] + ([_name("model", args) + SCANNED] if chars else [])
    out += ["| level | engine | input CER | " + " | ".join(names) + " | left as OCR | right words changed |"
            + (" left as OCR, engine's characters | right words changed, engine's characters |" if chars else ""),
            "|---|---|---|" + "---|" * (len(names) + 2 + 2 * chars)]
    for s in ladder:
        level, engine = s.name.removeprefix("ladder ").rsplit(", ", 1)
        columns = [(system, s.name) for system in systems] + ([("model", s.name + SCANNED)] if chars else [])
        row = f"| {level} | {engine} | {scored['identity'][s.name]['cer']:.4f} | " + " | ".join(
            f"{scored[system][name]['word_accuracy']:.4f}" for system, name in columns)
        for name in (s.name, s.name + SCANNED) if chars else (s.name,):
            left, wrong = scored["model"][name]["left"]
            changed, right = scored["model"][name]["changed"]
            row += f" | {left / max(wrong, 1):.2f} | {changed:,} of {right:,}"
        out.append(row + " |")
    return out + [""]


def runtimes_table(sets: list[BenchSet], model: dict, exported: dict[str, dict]) -> list[str]:
    """Each export's word accuracy per set beside PyTorch's, the share of its words and lines that
    are PyTorch's, and its speed."""
    if not exported:
        return []
    scored_sets = [s for s in sets if s.sources]
    chars = sum(len(src) for s in scored_sets for src in s.sources)
    names = [_shown(path) for path in exported]
    out = ["", "## Runtimes", "",
           "The model's exports (`vidiac-export`) restore every set through the whole pipeline on their runtime "
           "(`vidiac-restore -m EXPORT_DIR`), in one process, as PyTorch does in Speed and memory. Word accuracy per "
           "set, and in brackets the share of the output's words equal to PyTorch's output, word by word.", "",
           "| set | PyTorch | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    same = {path: [0, 0, 0, 0] for path in exported}  # words alike, words, lines alike, lines
    for s in scored_sets:
        theirs = model["outputs"][s.name]
        row = f"| {s.name} | {scores(theirs, s.targets)['word_accuracy']:.4f} |"
        for path, result in exported.items():
            ours = result["outputs"][s.name]
            words = [a == b for x, y in zip(ours, theirs) for a, b in zip(x.split(), y.split())]
            lines = [a == b for x, y in zip(ours, theirs) for a, b in zip(x.split("\n"), y.split("\n"))]
            same[path] = [t + n for t, n in zip(same[path], (sum(words), len(words), sum(lines), len(lines)))]
            row += f" {scores(ours, s.targets)['word_accuracy']:.4f} ({sum(words) / max(1, len(words)):.4f}) |"
        out.append(row)
    out += ["", "| runtime | words as PyTorch's | lines as PyTorch's | chars/s |", "|---|---|---|---|",
            f"| PyTorch | - | - | {chars / sum(model['seconds'][s.name] for s in scored_sets):,.0f} |"]
    for path, result in exported.items():
        words, n, lines, m = same[path]
        out.append(f"| {_shown(path)} | {words / max(1, n):.4f} | {lines / max(1, m):.4f} | "
                   f"{chars / sum(result['seconds'][s.name] for s in scored_sets):,.0f} |")
    return out


def report(args, cfg, sets: list[BenchSet], ladder: list[BenchSet], docs, page: str, results, scored, trigram,
           familiar, serving: list[str]) -> str:
    model = results["model"]
    scored_sets = [s for s in sets if s.sources and s not in ladder]
    out = [
        "# Benchmark results", "",
        f"Written by `{args.command}`; do not edit by hand.", "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; commit: {_commit()}",
        f"- model: `{_shown(args.model)}`, {model['parameters']:,} parameters; "
        + ("free greedy decoding" if cfg.infer.constraint == "none" else
           f"greedy decoding constrained to `{cfg.infer.constraint}`, fused with the lexicon's token-trigram prior "
           f"at `infer.prior_weight` {cfg.infer.prior_weight:g}"),
        f"- hardware: {_cpu()}, {os.cpu_count()} cores, CPU only; threads per system: {args.threads}",
        f"- sets: up to {args.docs} documents of 1-2 KB per corpus, consecutive paragraphs of the model's test split "
        f"(train.test_per_mille {cfg.train.test_per_mille}), spread over the whole corpus; "
        f"{len(docs['legal'])} legal, {len(docs['news'])} news; reports: those of the paragraphs of both corpora "
        "in the register of local government's reports (benchmarks/sets.py REPORTS: `báo cáo`, `UBND`), "
        f"{len(docs['reports'])}",
        "- baselines built from the training split of both corpora"
        + (f" (first {args.baseline_lines:,} lines of each)" if args.baseline_lines else "")
        + f": {trigram.total:,} syllables; of the held-out syllable trigrams, "
        + ", ".join(f"{familiar[c]:.1%} of {c}" for c in familiar) + " occur there",
        "",
        "## Word accuracy", "",
        "| system | " + " | ".join(s.name for s in scored_sets) + " |",
        "|---|" + "---|" * len(scored_sets),
    ]
    for system in results:
        out.append(f"| {_name(system, args)} | " + " | ".join(f"{scored[system][s.name]['word_accuracy']:.4f}"
                                                             for s in scored_sets) + " |")
    for s in scored_sets:
        words = sum(len(t.split()) for t in s.targets)
        out += ["", f"## {s.name}", "",
                f"Documents: {len(s.targets)}, characters: {sum(map(len, s.targets)):,}, words: {words:,}."
                + (f" Note: {s.note}." if s.note else ""), ""]
        sizes = scored["identity"][s.name]
        out += ["| system | word accuracy | no case | CER | diacritic errors | "
                + " | ".join(f"{c} ({sizes[c][1]:,})" for c in CATEGORIES) + " |",
                "|---|" + "---|" * (4 + len(CATEGORIES))]
        for system in results:
            r = scored[system][s.name]
            failed = results[system]["failures"][s.name]
            name = _name(system, args) + (f" ({failed} lines raised, kept as input)" if failed else "")
            cats = [f"{hits / total:.4f}" if total else "-" for hits, total in (r[c] for c in CATEGORIES)]
            out.append(f"| {name} | {r['word_accuracy']:.4f} | {r['word_accuracy_nocase']:.4f} | {r['cer']:.4f} | "
                       f"{r['diacritic_error_rate']:.4f} | " + " | ".join(cats) + " |")
    skipped = [s for s in sets if not s.sources]
    if skipped:
        out += ["", "## Skipped sets", ""] + [f"- {s.name}: {s.note}" for s in skipped]
    if ladder:
        out += [""] + ladder_table(args, ladder, results, scored)
    chars = sum(len(src) for s in scored_sets for src in s.sources)
    pyvi = results["pyvi"]
    speed = {system: chars / sum(r["seconds"][s.name] for s in scored_sets) for system, r in results.items()}
    out += ["", "## Speed and memory", "",
            f"chars/s: the {chars:,} input characters of all sets but the ladder over the seconds spent restoring "
            "them "
            "(the model batches each set's documents; the baselines go one document at a time). "
            f"Page: median of 3 restorations of one page of stripped legal text ({len(page.encode()):,} bytes), "
            "after the sets. Memory: one fresh process per system; its peak resident memory while loading and "
            "running the system, above its size after the imports all systems share (torch, transformers: "
            f"{model['shared_mb']:,.0f} MB); with worker processes (`jobs`, one thread each, forked after loading), "
            "plus the memory the workers hold alone at the end of the run. x pyvi: the system's figure over pyvi's. "
            "Other load: cores that other "
            "processes kept busy, on average, while the system ran; above 0 the timings are slower than the hardware "
            "allows.", "",
            "| system | chars/s | x pyvi | page (s) | x pyvi | memory (MB) | x pyvi | load (s) | other load (cores) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for system, r in results.items():
        mem, pyvi_mem = r["peak_mb"] - r["shared_mb"], pyvi["peak_mb"] - pyvi["shared_mb"]
        out.append(f"| {_name(system, args)} | {speed[system]:,.0f} | {_ratio(speed[system], speed['pyvi'])} | "
                   f"{r['page_s']:.4f} | {_ratio(r['page_s'], pyvi['page_s'])} | {mem:,.0f} | "
                   f"{_ratio(mem, pyvi_mem)} | {r['load_s']:.2f} | "
                   + ("-" if r["other_cores"] is None else f"{r['other_cores']:.1f}") + " |")
    out += [""] + serving
    out += ["", "## Metrics", "",
            "All scores compare NFC text with tone placement folded (hoà = hòa).",
            "",
            "- word accuracy: 1 - word edit distance / reference words, case-sensitive; no case: the same, "
            "lowercased.",
            "- CER: character edit distance / reference characters.",
            "- diacritic errors: of the letters that can carry a mark (vowels, d) and that the character alignment "
            "pairs with the same base letter, the share with wrong marks; case ignored.",
            "- categories: the share of reference words of the category that stand exactly in the output's word "
            "alignment (count of such words in the header). names: capitalised words that do not start a line or "
            "sentence; uppercase lines: words of lines without lowercase letters; numbers and codes: words with a "
            "digit, or of two or more capitals outside uppercase lines (UBND); rare syllables: words seen fewer than "
            f"{RARE_PER_MILLION} times per million syllables of the baselines' training text.",
            "- pyvi, most-frequent form and syllable trigram see the input with every mark stripped; the model and "
            "identity see it as degraded."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
