"""Training speed as it goes: bytes per second in and out and, in bf16 on a known GPU, the
model FLOPs utilisation (MFU). ByT5 reads and writes one token per byte (plus an end mark).

MFU counts 6 FLOPs per parameter per token (forward and backward) for the real, unpadded
tokens: the encoder's parameters for input tokens, the decoder's and the output layer's for
target tokens; the shared embedding is a lookup and costs none. Attention's own FLOPs are
left out, as usual, so MFU is a lower bound.
"""
import time

import torch

# Dense bf16 peak FLOP/s by device name; the first name found in the device's wins.
PEAK_BF16 = (("H100 PCIe", 756e12), ("H100 NVL", 835e12), ("H100", 989e12), ("H200", 989e12), ("A100", 312e12))


def peak_flops(device_name: str) -> float | None:
    return next((peak for key, peak in PEAK_BF16 if key in device_name), None)


class Throughput:
    """Counts the tokens of each training batch; `rates()` gives the speeds since the last call."""

    def __init__(self, model, device: torch.device, bf16: bool):
        embedding = model.shared.weight.numel()
        self.encoder = sum(p.numel() for p in model.encoder.parameters()) - embedding
        self.decoder = sum(p.numel() for p in model.decoder.parameters()) - embedding + model.lm_head.weight.numel()
        self.peak = peak_flops(torch.cuda.get_device_name(device)) if bf16 and device.type == "cuda" else None
        self.tokens = torch.zeros(2, dtype=torch.long, device=device)  # input, target; summed on the device, no sync
        self.restart()

    def restart(self) -> None:
        self.tokens.zero_()
        self.since = time.perf_counter()

    def count(self, batch: dict[str, torch.Tensor]) -> None:
        counts = torch.stack([batch["attention_mask"].sum(), (batch["labels"] >= 0).sum()])
        self.tokens += counts.to(self.tokens.device)

    def rates(self) -> dict[str, float]:
        inputs, targets = self.tokens.tolist()
        seconds = time.perf_counter() - self.since
        self.restart()
        rates = {"input_bytes_per_s": inputs / seconds, "target_bytes_per_s": targets / seconds,
                 "tokens_per_s": (inputs + targets) / seconds}
        if self.peak:
            rates["mfu"] = 6 * (self.encoder * inputs + self.decoder * targets) / seconds / self.peak
        return rates
