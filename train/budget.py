"""Wall-clock budgets: training stops in time for the final evaluation and save to end by a
deadline, and the learning rate reaches the end of its schedule by then, whatever the
hardware's speed. A step count alone cannot do this on a machine whose speed is unknown: a
cosine over more steps than the budget allows ends with the learning rate still high.
"""
import math
import time

import torch
import torch.distributed as dist
from torch.optim.lr_scheduler import LambdaLR
from transformers import TrainerCallback


class TimeBudget(TrainerCallback):
    """Stops training, with a checkpoint, once only the reserve is left before `deadline`.

    The reserve (for the final evaluation and save) is `reserve` seconds, or 1.5 times the
    longest evaluation seen so far if that is longer. `deadline` is a `time.monotonic()`
    value; None means no budget.
    """

    def __init__(self, deadline: float | None, reserve: float):
        self.deadline, self.reserve = deadline, reserve
        self.begun = self.step_ended = time.monotonic()
        self.spent, self.left = 0.0, math.inf

    def progress(self) -> float:
        """Share of the training time spent, 0 to 1 (0 without a budget)."""
        return 1.0 if self.left <= 0 else self.spent / (self.spent + self.left)

    def on_train_begin(self, args, state, control, **kwargs):
        self.begun = self.step_ended = time.monotonic()

    def on_step_end(self, args, state, control, **kwargs):
        self.step_ended = time.monotonic()
        left = math.inf if self.deadline is None else self.deadline - self.reserve - self.step_ended
        self.spent, self.left = _agreed(self.step_ended - self.begun, left, args.device)
        if self.left <= 0:
            control.should_training_stop = True
            control.should_save = True

    def on_evaluate(self, args, state, control, **kwargs):
        # Evaluation follows the step that asked for it.
        self.reserve = max(self.reserve, 1.5 * (time.monotonic() - self.step_ended))


def _agreed(spent: float, left: float, device: torch.device) -> tuple[float, float]:
    """The most time spent and the least left over all processes, so they stop at the same step
    and follow the same learning rate (their parameters would drift apart otherwise)."""
    if not (dist.is_available() and dist.is_initialized()) or math.isinf(left):
        return spent, left
    t = torch.tensor([spent, -left], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t[0].item(), -t[1].item()


def budget_schedule(optimizer, kind: str, warmup_steps: int, max_steps: int, budget: TimeBudget) -> LambdaLR:
    """Linear warmup, then `kind` (cosine, linear, constant) decays to 0 by `max_steps` or by the
    end of the budget's training time, whichever comes first. Without a budget this is the
    transformers schedule of the same name (`constant` with warmup)."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / warmup_steps
        done = min(1.0, max((step - warmup_steps) / max(1, max_steps - warmup_steps), budget.progress()))
        if kind == "cosine":
            return 0.5 * (1 + math.cos(math.pi * done))
        return 1 - done if kind == "linear" else 1.0

    return LambdaLR(optimizer, factor)
