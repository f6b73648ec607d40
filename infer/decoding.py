"""Constrained greedy decoding, verified against a draft so that most bytes cost no decoder step.

Restoring diacritics changes letters, never the text's skeleton: every output character is
a variant of the input character at the same place (`a` -> `ấ`, `d` -> `đ`) or, for OCR
input, of what an OCR engine misreads as it (`4` -> `ã`, `1` -> `l`); a word training has
seen becomes one of the forms training saw. Decoding is constrained to exactly that, so a
weak or confused model can pick a wrong mark but never drops, repeats or invents a word,
and every consonant, digit and space is forced without consulting the model.

Speed comes from input-guided aggressive decoding (Ge et al. 2022): the decoder reads a
whole draft of the output in one parallel pass, and every draft byte that the model's own
constrained argmax agrees with is accepted; at the first disagreement the model's byte is
taken and the rest is re-drafted. The result is byte for byte the constrained greedy output,
with one decoder pass per disagreement instead of one per byte. The draft holds each word's
most frequent form, so it is mostly right before the model sees it.
"""
import re

import torch

from .lexicon import Lexicon, options

EOS, OFFSET = 1, 3  # ByT5: pad 0 (also the decoder start), eos 1, unk 2, then byte b is b + 3
_WORD = re.compile(r"[^\W_]+")


class Row:
    """One chunk being decoded: what it may become, and what it has emitted so far."""

    def __init__(self, source: str, lexicon: Lexicon, mode: str):
        self.source = source
        self.options = [options(c, mode) for c in source]
        self.words = [None] * len(source)  # (start, forms) for characters inside a known word
        for m in _WORD.finditer(source):
            forms = lexicon.candidates(m.group(), mode)
            for k in range(m.start(), m.end()):
                self.words[k] = (m.start(), forms) if forms else None
        self.out: list[str] = []  # emitted characters, one per input character
        self.pending = b""  # bytes emitted of the next character
        self.tokens: list[int] = []
        self.confidence: list[float] = []  # per character: the model's probability of its choice
        self._p = 1.0
        self.done = False

    def choices(self, k: int, out: list[str]) -> list[str]:
        """Characters allowed at input position `k` after the output `out`."""
        if self.words[k]:
            start, forms = self.words[k]
            prefix = "".join(out[start:k])
            live = list(dict.fromkeys(f[k - start] for f in forms if f.startswith(prefix)))
            if live:
                return live
        return list(self.options[k])

    def allowed(self) -> list[int]:
        k = len(self.out)
        if k == len(self.source):
            return [EOS]
        n = len(self.pending)
        fits = {c.encode()[n] for c in self.choices(k, self.out) if c.encode().startswith(self.pending)}
        return sorted(b + OFFSET for b in fits)

    def push(self, token: int, p: float) -> None:
        self.tokens.append(token)
        self._p *= p
        if token == EOS:
            self.done = True
            return
        self.pending += bytes([token - OFFSET])
        char = self.pending.decode("utf-8", errors="ignore")
        if char and char.encode() == self.pending:  # UTF-8 is prefix-free: the character is whole
            self.out.append(char)
            self.confidence.append(self._p)
            self.pending, self._p = b"", 1.0

    def draft(self) -> list[int]:
        """The most likely rest of the output given what is emitted: each word's first live form."""
        out = list(self.out)
        head = True
        for k in range(len(out), len(self.source)):
            fits = [c for c in self.choices(k, out) if not head or c.encode().startswith(self.pending)]
            out.append(fits[0])
            head = False
        rest = "".join(out[len(self.out):]).encode()[len(self.pending):]
        return [b + OFFSET for b in rest] + [EOS]

    def word_confidence(self) -> list[float]:
        """Per space-separated word of the source, the lowest confidence of its characters."""
        words, current = [], None
        for ch, p in zip(self.source, self.confidence):
            if ch.isspace():
                if current is not None:
                    words.append(current)
                current = None
            else:
                current = p if current is None else min(current, p)
        return words + ([current] if current is not None else [])

    @property
    def text(self) -> str:
        return "".join(self.out)


@torch.inference_mode()
def decode(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, rows: list[Row]) -> int:
    """Constrained greedy decoding of `rows` (one per input row), in place. Returns decoder passes."""
    encoded = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    passes = 0
    while True:
        active = [i for i, r in enumerate(rows) if not r.done]
        if not active:
            return passes
        drafts = [rows[i].draft() for i in active]
        seqs = [[model.config.decoder_start_token_id] + rows[i].tokens + d for i, d in zip(active, drafts)]
        dec = torch.zeros(len(seqs), max(map(len, seqs)), dtype=torch.long)
        for k, s in enumerate(seqs):
            dec[k, :len(s)] = torch.tensor(s)
        # Right padding of the decoder input is harmless: causal attention never looks ahead.
        idx = torch.tensor(active)
        logits = model(encoder_outputs=(encoded[idx],), attention_mask=attention_mask[idx],
                       decoder_input_ids=dec, use_cache=False).logits
        passes += 1
        for k, (i, draft) in enumerate(zip(active, drafts)):
            row, start = rows[i], len(rows[i].tokens)
            for j, guess in enumerate(draft):
                allowed = row.allowed()
                if len(allowed) == 1:
                    token, p = allowed[0], 1.0
                else:
                    probs = torch.softmax(logits[k, start + j, allowed], dim=-1)
                    best = int(probs.argmax())
                    token, p = allowed[best], float(probs[best])
                row.push(token, p)
                if row.done or token != guess:
                    break
