"""Restore on several CPU cores: worker processes of one model thread each.

The runtime spreads the model's matrix products over its threads, but most of restoring runs in
Python on one core: the prior of each word, the corrector's search, the choice of each byte.
Documents split among processes keep every core busy. On Linux the workers are forked from
the process that loaded the restorer, so they share its model and lexicon page by page; where
there is no fork (Windows, and macOS, where Python no longer forks by default), and for exports,
whose runtimes' thread pools do not survive a fork, each worker loads the model directory again.
Either way a worker restores with the restorer as it was when the workers started: settings
changed later in the calling process do not reach it.
"""
import multiprocessing
import sys
from collections import deque
from typing import Callable, Iterable, Iterator

import torch

FORK = sys.platform.startswith("linux")
_restorer = None  # the worker's


def _start(restorer_or_loader) -> None:
    global _restorer
    torch.set_num_threads(1)
    _restorer = restorer_or_loader() if callable(restorer_or_loader) else restorer_or_loader


def _review(task: tuple[list[str], dict]) -> list:
    texts, options = task
    return _restorer.review_batch(texts, **options)


class Workers:
    def __init__(self, restorer, jobs: int, loader: Callable | None):
        """`jobs` processes restoring with `restorer`; `loader` loads it again where it cannot be forked."""
        fork = FORK and restorer.backend.forks
        if not fork and loader is None:
            raise ValueError("worker processes need a restorer loaded with Restorer.from_pretrained "
                             "where it cannot be forked")
        context = multiprocessing.get_context("fork" if fork else "spawn")
        self.jobs = jobs
        self.pool = context.Pool(jobs, _start, (restorer if fork else loader,))

    def map(self, batches: Iterable[list[str]], options: dict) -> Iterator[list]:
        """Each batch reviewed (`Restorer.review_batch`), in order, with a few batches ahead per
        worker, so that a stream of documents is read no faster than it is restored."""
        running = deque()
        for texts in batches:
            running.append(self.pool.apply_async(_review, ((texts, options),)))
            if len(running) > 2 * self.jobs:
                yield running.popleft().get()
        while running:
            yield running.popleft().get()

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()
