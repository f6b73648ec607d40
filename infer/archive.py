"""vidiac-restore --ray: a folder tree restored with Ray Data, on a local Ray or a cluster.

The files are a dataset of paths. map_batches hands them, FILES_PER_BATCH at a time, to a pool
of actors that each load one restorer once and write each file's output with the CLI's own
function, so the bytes are the CLI's. A file whose output is already there is skipped, so a
stopped run resumes where it was (outputs are renamed into place only when complete). On a
cluster, every node must see the input and output folders at the same paths (a shared file
system) and have vidiac installed.
"""
import argparse
import os
from pathlib import Path

from .cli import kind_of, output_name, report, restore_files
from .restorer import Restorer, check_model_dir, default_model_dir

FILES_PER_BATCH = 4  # small, so that the actors share a folder's files evenly and a stop loses little


class RestoreFiles:
    """A Ray actor: one restorer, loaded once, that restores batches of files into the output folder."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        # One CPU per actor, as Ray schedules it.
        self.restorer = Restorer.from_pretrained(args.model, threads=1,
                                                 **({"ocr_severity": 0.0} if args.keep_letters else {}))

    def __call__(self, batch: dict) -> dict:
        files = [(Path(p), Path(r)) for p, r in zip(batch["path"], batch["rel"])]
        problems = []
        restore_files(self.restorer, files, self.args, True, failed=problems.append)
        return {"path": [str(p) for p, _ in files],
                "error": ["; ".join(m for m in problems if m.startswith(f"{p}:")) for p, _ in files]}


def restore_archive(files: list[tuple[Path, Path]], args: argparse.Namespace) -> int:
    """Restore `files` into the folder args.output with Ray Data; the CLI's exit status."""
    try:
        import ray
    except ImportError:
        report("--ray needs Ray Data: pip install 'vidiac[ray]'")
        return 2
    out = Path(args.output).resolve()
    todo = [(p, r) for p, r in files if not (out / output_name(r, kind_of(p), args.review)).exists()]
    if len(todo) < len(files):
        report(f"{len(files) - len(todo)} of {len(files)} files already written, skipped")
    if not todo:
        return 0
    args = argparse.Namespace(**{**vars(args), "output": str(out),
                                 "model": str(check_model_dir(args.model or default_model_dir()).resolve())})
    # An actor's thread pools would fight over the CPUs Ray gave the others; its failures come
    # back as rows, and its progress bars would only interleave with Ray Data's.
    ray.init(address=args.ray or None, runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}}, log_to_driver=False,
             logging_level="WARNING",
             **({} if args.ray else {"num_cpus": args.jobs if args.jobs > 1 else os.cpu_count(),
                                     "include_dashboard": False}))
    try:
        actors = args.jobs if args.jobs > 1 else max(1, int(ray.cluster_resources().get("CPU", 1)))
        rows = ray.data.from_items([{"path": str(p.resolve()), "rel": str(r)} for p, r in todo])
        results = rows.map_batches(RestoreFiles, fn_constructor_args=(args,), batch_size=FILES_PER_BATCH,
                                   compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=1)
        failed = 0
        for row in results.iter_rows():
            if row["error"]:
                report(row["error"])
                failed += 1
    finally:
        ray.shutdown()
    return 2 if failed else 0
