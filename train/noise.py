"""Degrade clean text the way real inputs are degraded; the model learns to undo it.

A `Degrader` turns a clean segment into a (source, target) pair. Layout changes that the
model must keep (hard line wraps, uppercase headers) are applied to both sides; the
degradations proper are applied to the source only, one drawn per segment by weight.
"""
import random

from vidiac.infer.config import NoiseConfig
from vidiac.infer.vietnamese import BASE, TONED, strip_diacritics


def strip_all(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Every mark gone, as typed without a Vietnamese keyboard.

    `Kết quả công tác tuyên truyền` -> `Ket qua cong tac tuyen truyen`
    """
    return strip_diacritics(text)


def strip_some(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Some letters lose their tone mark, some every mark, the rest are kept.

    `Đảng ủy xã Hòa Bình` -> `Đang ủy xa Hoa Bình`
    """
    out = []
    for ch in text:
        if (ch in BASE or ch in "đĐ") and rng.random() < cfg.strip_some_rate:
            base, tone = BASE.get(ch, (ch, 0))
            ch = TONED[(base, 0)] if tone and rng.random() < 0.5 else strip_diacritics(ch)
        out.append(ch)
    return "".join(out)


DEGRADATIONS = {"strip_all": strip_all, "strip_some": strip_some}


def upper_lines(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Some lines become headers in capitals: `Ủy ban nhân dân` -> `ỦY BAN NHÂN DÂN`."""
    return "\n".join(line.upper() if rng.random() < cfg.upper_line else line for line in text.split("\n"))


def wrap(text: str, rng: random.Random, cfg: NoiseConfig) -> str:
    """Hard line breaks where a printed page wrapped the paragraph, 40-100 characters wide."""
    if rng.random() >= cfg.wrap:
        return text
    width = rng.randint(40, 100)
    lines = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


class Degrader:
    """Draws one degradation per segment, with the weights of the config's noise section."""

    def __init__(self, cfg: NoiseConfig):
        self.cfg = cfg
        weights = {name: getattr(cfg, name) for name in DEGRADATIONS}
        if not any(w > 0 for w in weights.values()):
            raise ValueError("noise: at least one degradation needs a positive weight")
        self.names = list(weights)
        self.weights = [weights[n] for n in self.names]

    def __call__(self, clean: str, rng: random.Random) -> tuple[str, str]:
        target = wrap(upper_lines(clean, rng, self.cfg), rng, self.cfg)
        name = rng.choices(self.names, self.weights)[0]
        return DEGRADATIONS[name](target, rng, self.cfg), target
