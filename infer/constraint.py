"""The skeleton constraint as a transformers LogitsProcessor, for users of `model.generate`.

    from vidiac.infer import SkeletonConstraint
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    constraint = SkeletonConstraint.from_pretrained(model_dir, texts)
    out = model.generate(**batch, logits_processor=[constraint], max_new_tokens=2 * batch.input_ids.shape[1] + 7)
    restored = tokenizer.batch_decode(out, skip_special_tokens=True)

At each step only the bytes that keep the output a restoring of the input are allowed, as
vidiac's own decoding allows them (decoding.Row): each character a variant of the input's
(`a` -> `ấ`, `d` -> `đ`), a word the lexicon knows one of its forms, and the end of the text
only at its end. So `generate` can pick a wrong mark but never drops, repeats or invents a
word. It works with greedy search and with beams. It holds no prior: that, the OCR corrector
and settling are `Restorer`'s.
"""
import copy
from pathlib import Path

import torch
from transformers import LogitsProcessor

from .decoding import Row
from .lexicon import Lexicon
from .vietnamese import normalize


class SkeletonConstraint(LogitsProcessor):
    def __init__(self, texts: list[str], lexicon: Lexicon | None = None, mode: str = "skeleton", num_beams: int = 1):
        """`texts`: the batch given to `generate`, in order; `mode`: skeleton, or ocr (also OCR's
        single-character misreadings, `x4` -> `xã`); `num_beams` as given to `generate`."""
        lexicon = lexicon or Lexicon({})
        self.num_beams = num_beams
        self.rows = [Row(normalize(t), lexicon, mode) for t in texts for _ in range(num_beams)]

    @classmethod
    def from_pretrained(cls, model_dir: str | Path, texts: list[str], mode: str = "skeleton",
                        num_beams: int = 1) -> "SkeletonConstraint":
        """The constraint with the model directory's lexicon: known words take only their forms."""
        return cls(texts, Lexicon.load(model_dir), mode, num_beams)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        # Beam search reorders and duplicates hypotheses between steps: each one continues the
        # row whose output is a prefix of its own. A row continued by one hypothesis (always, in
        # greedy search) goes on in place; one that several continue is copied for all but one,
        # before any of them moves, so that siblings do not share state.
        generated = [ids[1:] for ids in input_ids.tolist()]  # after the start token
        parents = [self._parent(b, ids) for b, ids in enumerate(generated)]
        claimed = set()
        rows = []
        for parent in parents:
            rows.append(parent if id(parent) not in claimed else _copied(parent))
            claimed.add(id(parent))
        for row, ids in zip(rows, generated):
            for token in ids[len(row.tokens):]:
                if row.done:
                    break
                row.push(token, 1.0)
        self.rows = rows
        masked = torch.full_like(scores, float("-inf"))
        for b, row in enumerate(self.rows):
            if row.done:  # generate pads a finished hypothesis; its scores no longer matter
                masked[b] = scores[b]
            else:
                allowed = row.allowed()
                masked[b, allowed] = scores[b, allowed]
        return masked

    def _parent(self, b: int, ids: list[int]) -> Row:
        first = b // self.num_beams * self.num_beams  # the rows of one text are its beams, side by side
        return max((r for r in self.rows[first:first + self.num_beams] if ids[:len(r.tokens)] == r.tokens),
                   key=lambda r: len(r.tokens))


def _copied(row: Row) -> Row:
    """A row with its own output so far; what it read of the source and the lexicon is shared."""
    twin = copy.copy(row)
    twin.out, twin.tokens, twin.confidence = list(row.out), list(row.tokens), list(row.confidence)
    return twin
