"""The model on a runtime (PyTorch, ONNX Runtime, CTranslate2), behind the two questions decoding asks.

`Restorer` runs one pipeline on every runtime: normalisation, correction, the prior, settling,
drafting and review are the same, and only the model's arithmetic moves here. A backend answers:

- `session(texts)`: encode a batch of chunk texts. The session's `logits(rows, inputs, start)`
  scores decoder inputs for some of the batch's rows: `inputs[k]` is row `rows[k]`'s decoder
  input from position `start` on, every position before `start` having been given to an earlier
  call. It returns the logits at each position given, `(len(rows), longest, vocabulary)`, rows
  padded at the right.
- `generate(texts, num_beams)`: free generation (constraint "none"), greedy outside PyTorch.

PyTorch and ONNX Runtime keep the decoder's keys and values of earlier positions (a KV cache),
so a call costs what it reads. CTranslate2's Translator keeps no cache between calls: given a
target prefix it returns the logits of every prefix position, so each call reads each row's
input and whole prefix again.

    Restorer.from_pretrained("exports/ct2")  # a vidiac-export directory loads as a model directory does
"""
import inspect
from pathlib import Path

import numpy as np
import torch
from transformers import (ByT5Tokenizer, DynamicCache, EncoderDecoderCache, T5Config,
                          T5ForConditionalGeneration)

from .config import CONFIG_NAME

WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
EOS = 1  # ByT5: pad 0 (also the decoder start), eos 1
# transformers 5.24 renamed `past_key_values` to `cache`, and warns at the old name.
CACHE_ARG = ("cache" if "cache" in inspect.signature(T5ForConditionalGeneration.forward).parameters
             else "past_key_values")


class ModelDirError(RuntimeError):
    """A model directory that is missing or incomplete."""


def batches(texts: list[str], size: int) -> list[list[int]]:
    """Indices of `texts` in batches of similar length, `size` at a time, so padding stays small."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[b:b + size] for b in range(0, len(order), size)]


def max_new_tokens(longest: int) -> int:
    """Output budget of free generation for inputs of `longest` tokens: restored text is longer
    than its stripped input (ế is 3 bytes where e is 1)."""
    return 2 * longest + 7


def padded(inputs: list[list[int]]) -> np.ndarray:
    """Token lists as one array, right-padded: causal attention never looks ahead, so padding
    after a row's last input changes none of its logits."""
    out = np.zeros((len(inputs), max(map(len, inputs))), np.int64)
    for k, seq in enumerate(inputs):
        out[k, :len(seq)] = seq
    return out


class TorchBackend:
    runtime, forks = "pytorch", True  # forked workers share its weights page by page

    def __init__(self, model: T5ForConditionalGeneration):
        self.model = model.eval()
        self.tokenizer = ByT5Tokenizer()

    @classmethod
    def load(cls, path: Path, device: str = "cpu", threads: int = 0) -> "TorchBackend":
        if threads:
            torch.set_num_threads(threads)
        try:
            config = T5Config.from_pretrained(path)
            if config.dense_act_fn == "gelu_new":
                # The same tanh approximation of GELU in one fused kernel instead of six element-wise
                # ops: decoding 16% faster on CPU, output unchanged on 40 dev documents.
                config.dense_act_fn = "gelu_pytorch_tanh"
            return cls(T5ForConditionalGeneration.from_pretrained(path, config=config).to(device))
        except (OSError, ValueError) as e:
            raise ModelDirError(f"{path}: cannot load the model weights: {e}") from None

    def session(self, texts: list[str]) -> "TorchSession":
        return TorchSession(self.model, self.tokenizer(texts, return_tensors="pt", padding=True))

    @torch.inference_mode()
    def generate(self, texts: list[str], num_beams: int = 1) -> list[str]:
        batch = self.tokenizer(texts, return_tensors="pt", padding=True).to(self.model.device)
        out = self.model.generate(**batch, num_beams=num_beams, do_sample=False,
                                  max_new_tokens=max_new_tokens(batch["input_ids"].shape[1]))
        return self.tokenizer.batch_decode(out, skip_special_tokens=True)


class TorchSession:
    @torch.inference_mode()
    def __init__(self, model: T5ForConditionalGeneration, batch):
        self.model, self.device = model, model.device
        batch = batch.to(self.device)
        self.mask = batch["attention_mask"]
        self.encoded = model.get_encoder()(**batch).last_hidden_state
        self.cache = EncoderDecoderCache(DynamicCache(config=model.config), DynamicCache(config=model.config))
        self.held, self.cached = list(range(len(self.mask))), 0  # the rows the cache holds, its positions

    @torch.inference_mode()
    def logits(self, rows: list[int], inputs: list[list[int]], start: int) -> torch.Tensor:
        if rows != self.held:
            self.cache.batch_select_indices(torch.tensor([self.held.index(i) for i in rows], device=self.device))
            self.held = rows
        if self.cached > start:
            self.cache.crop(start - self.cached)  # negative: positions to remove, in every transformers 5
        dec = torch.from_numpy(padded(inputs)).to(self.device)
        idx = torch.tensor(rows, device=self.device)
        logits = self.model(encoder_outputs=(self.encoded[idx],), attention_mask=self.mask[idx],
                            decoder_input_ids=dec, use_cache=True, **{CACHE_ARG: self.cache}).logits
        self.cached = start + dec.shape[1]
        return logits.float().cpu()  # one copy per call, not one per byte, on a GPU


class OnnxBackend:
    """`vidiac-export --format onnx`: encoder.onnx gives the encoder states and every decoder
    layer's cross-attention keys and values; decoder.onnx takes new tokens and the cache."""
    runtime, forks = "onnx", False  # ONNX Runtime's thread pools do not survive a fork

    def __init__(self, path: Path, threads: int = 0):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self.encoder, self.decoder = (
            onnxruntime.InferenceSession(str(path / name), options, providers=["CPUExecutionProvider"])
            for name in ("encoder.onnx", "decoder.onnx"))
        # In export order: new tokens, attention mask, encoder states, cross keys/values, past keys/values.
        self.decoder_inputs = [i.name for i in self.decoder.get_inputs()]
        self.tokenizer = ByT5Tokenizer()

    def session(self, texts: list[str]) -> "OnnxSession":
        batch = self.tokenizer(texts, padding=True, return_tensors="np")
        return OnnxSession(self, batch["input_ids"].astype(np.int64), batch["attention_mask"].astype(np.int64))

    def generate(self, texts: list[str], num_beams: int = 1) -> list[str]:
        if num_beams != 1:
            raise ModelDirError(f"ONNX exports generate greedily; num_beams={num_beams} needs the PyTorch model")
        session = self.session(texts)
        rows, out, done = list(range(len(texts))), [[0] for _ in texts], [False] * len(texts)
        for _ in range(max_new_tokens(session.mask.shape[1])):
            live = [i for i in rows if not done[i]]
            if not live:
                break
            logits = session.logits(live, [out[i][-1:] for i in live], len(out[live[0]]) - 1)
            for i, token in zip(live, logits[:, -1].argmax(-1).tolist()):
                out[i].append(token)
                done[i] = token == EOS
        return self.tokenizer.batch_decode([o[1:] for o in out], skip_special_tokens=True)


class OnnxSession:
    def __init__(self, backend: OnnxBackend, input_ids: np.ndarray, attention_mask: np.ndarray):
        self.decoder, self.names = backend.decoder, backend.decoder_inputs
        self.mask = attention_mask
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        self.hidden, *self.cross = backend.encoder.run(None, feed)
        self.past = [np.zeros((len(input_ids), c.shape[1], 0, c.shape[3]), np.float32) for c in self.cross]
        self.held = list(range(len(input_ids)))

    def logits(self, rows: list[int], inputs: list[list[int]], start: int) -> np.ndarray:
        if rows != self.held:
            pick = [self.held.index(i) for i in rows]
            self.mask, self.hidden = self.mask[pick], self.hidden[pick]
            self.cross, self.past = [c[pick] for c in self.cross], [p[pick] for p in self.past]
            self.held = rows
        past = [p[:, :, :start] for p in self.past]
        logits, *self.past = self.decoder.run(None, dict(zip(self.names, [
            padded(inputs), self.mask, self.hidden, *self.cross, *past])))
        return logits


class CTranslate2Backend:
    """`vidiac-export --format ctranslate2`, int8 or float32 as it was converted."""
    runtime, forks = "ctranslate2", False  # CTranslate2's threads do not survive a fork

    def __init__(self, path: Path, threads: int = 0):
        import ctranslate2

        # "default" keeps the type the model was converted to: int8 stays int8.
        self.translator = ctranslate2.Translator(str(path), device="cpu", compute_type="default",
                                                 intra_threads=threads)
        self.tokenizer = ByT5Tokenizer()

    def tokens(self, texts: list[str]) -> list[list[str]]:
        return [self.tokenizer.convert_ids_to_tokens(ids) for ids in self.tokenizer(texts).input_ids]

    def session(self, texts: list[str]) -> "CTranslate2Session":
        return CTranslate2Session(self, texts)

    def generate(self, texts: list[str], num_beams: int = 1) -> list[str]:
        if num_beams != 1:
            raise ModelDirError(f"vidiac decodes exports greedily; num_beams={num_beams} needs the PyTorch model")
        source = self.tokens(texts)
        results = self.translator.translate_batch(source, beam_size=1, max_input_length=0,
                                                  max_decoding_length=max_new_tokens(max(map(len, source))))
        tok = self.tokenizer
        return [tok.decode(tok.convert_tokens_to_ids(r.hypotheses[0]), skip_special_tokens=True) for r in results]


class CTranslate2Session:
    def __init__(self, backend: CTranslate2Backend, texts: list[str]):
        self.backend, self.source = backend, backend.tokens(texts)
        self.fed = [[] for _ in texts]  # each row's decoder input so far, start token first

    def logits(self, rows: list[int], inputs: list[list[int]], start: int) -> np.ndarray:
        tok = self.backend.tokenizer
        prefixes = []
        for i, seq in zip(rows, inputs):
            self.fed[i] = self.fed[i][:start] + list(seq)
            prefix = self.fed[i][1:]  # the Translator starts from the start token itself
            # A draft's last token may be the end: the logits after it are never read.
            prefixes.append(prefix[:prefix.index(EOS)] if EOS in prefix else prefix)
        results = self.backend.translator.translate_batch(
            [self.source[i] for i in rows], [tok.convert_ids_to_tokens(p) for p in prefixes], beam_size=1,
            max_input_length=0, max_decoding_length=max(map(len, prefixes)) + 1, min_decoding_length=0,
            return_logits_vocab=True)
        # The logits at position p are those that follow p + 1 decoder inputs, the start token first.
        got = [np.stack([np.asarray(x) for x in r.logits[0][start:start + len(seq)]])
               for seq, r in zip(inputs, results)]
        out = np.zeros((len(rows), max(map(len, inputs)), got[0].shape[1]), np.float32)
        for k, g in enumerate(got):
            out[k, :len(g)] = g
        return out


def is_export(path: Path) -> bool:
    return (path / "model.bin").is_file() or (path / "encoder.onnx").is_file()


def check_model_dir(path: str | Path) -> Path:
    """`path` if it is a complete model directory or vidiac-export directory, else a ModelDirError
    that says what is missing."""
    path = Path(path)
    if not path.is_dir():
        raise ModelDirError(f"{path}: no such model directory")
    if is_export(path):
        needs = ["model.bin"] if (path / "model.bin").is_file() else ["encoder.onnx", "decoder.onnx"]
        missing = [n for n in (CONFIG_NAME, *needs) if not (path / n).is_file()]
    else:
        missing = [n for n in (CONFIG_NAME, "config.json") if not (path / n).is_file()]
        if not any((path / n).is_file() for n in WEIGHTS):
            missing.append("model.safetensors (or its shard index)")
    if missing:
        raise ModelDirError(f"{path}: incomplete model directory, missing {', '.join(missing)}")
    return path


def load_backend(path: Path, device: str = "cpu", threads: int = 0):
    """The backend of a checked model or export directory; `threads`: CPU threads for the model
    (0: the runtime's choice)."""
    if not is_export(path):
        return TorchBackend.load(path, device, threads)
    if device != "cpu":
        raise ModelDirError(f"{path}: vidiac runs exports on the CPU; device {device!r} needs the PyTorch model")
    try:
        if (path / "model.bin").is_file():
            return CTranslate2Backend(path, threads)
        return OnnxBackend(path, threads)
    except ImportError as e:
        raise ModelDirError(f"{path}: exports run with the export extra, pip install 'vidiac[export]' ({e})") from None

