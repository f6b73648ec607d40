"""Greedy generation with exported models (`vidiac-export`): CTranslate2 and ONNX Runtime.

A backend's `generate(texts)` takes chunk texts and returns the model's output for each,
as `Restorer.generate` (free generation, constraint "none") does with PyTorch, so the same
chunking and reassembly run around it. Chunks are batched and given an output budget by the
same functions as `Restorer.generate`, so an
unquantized export gives PyTorch's greedy output. The runtimes are imported only here,
when an export is loaded.
"""
import dataclasses
from pathlib import Path

import numpy as np
from transformers import ByT5Tokenizer

from .config import Config, ConfigError, load_config
from .lexicon import Lexicon
from .restorer import ModelDirError, Restorer, batches, max_new_tokens


class CTranslate2Backend:
    def __init__(self, path: str | Path, batch_size: int, threads: int = 0):
        import ctranslate2

        # "default" keeps the type the model was converted to: int8 stays int8.
        self.translator = ctranslate2.Translator(str(path), device="cpu", compute_type="default",
                                                 intra_threads=threads)
        self.tokenizer = ByT5Tokenizer()
        self.batch_size = batch_size

    def generate(self, texts: list[str]) -> list[str]:
        tok = self.tokenizer
        ids = tok(texts).input_ids
        outputs = [""] * len(texts)
        for idx in batches(texts, self.batch_size):
            source = [tok.convert_ids_to_tokens(ids[i]) for i in idx]
            results = self.translator.translate_batch(
                source, beam_size=1, max_decoding_length=max_new_tokens(max(map(len, source))))
            for i, result in zip(idx, results):
                outputs[i] = tok.decode(tok.convert_tokens_to_ids(result.hypotheses[0]), skip_special_tokens=True)
        return outputs


class OnnxBackend:
    def __init__(self, path: str | Path, batch_size: int, threads: int = 0):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        path = Path(path)
        self.encoder, self.decoder = (
            onnxruntime.InferenceSession(str(path / name), options, providers=["CPUExecutionProvider"])
            for name in ("encoder.onnx", "decoder.onnx"))
        # In export order: new tokens, attention mask, encoder states, cross keys/values, past keys/values.
        self.decoder_inputs = [i.name for i in self.decoder.get_inputs()]
        self.tokenizer = ByT5Tokenizer()
        self.batch_size = batch_size

    def generate(self, texts: list[str]) -> list[str]:
        outputs = [""] * len(texts)
        for idx in batches(texts, self.batch_size):
            batch = self.tokenizer([texts[i] for i in idx], padding=True, return_tensors="np")
            tokens = self.greedy(batch["input_ids"].astype(np.int64), batch["attention_mask"].astype(np.int64))
            for i, text in zip(idx, self.tokenizer.batch_decode(tokens, skip_special_tokens=True)):
                outputs[i] = text
        return outputs

    def greedy(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Output tokens, one decoder step each; rows that have ended are padded, as `generate` pads them."""
        pad, eos = self.tokenizer.pad_token_id, self.tokenizer.eos_token_id
        hidden, *cross = self.encoder.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})
        n = len(input_ids)
        past = [np.zeros((n, c.shape[1], 0, c.shape[3]), np.float32) for c in cross]  # one pair per layer, as cross
        token = np.full((n, 1), pad, np.int64)  # T5 starts decoding from the pad token
        done, out = np.zeros(n, bool), []
        for _ in range(max_new_tokens(input_ids.shape[1])):
            feed = dict(zip(self.decoder_inputs, [token, attention_mask, hidden, *cross, *past]))
            logits, *past = self.decoder.run(None, feed)
            token = np.where(done, pad, logits[:, -1].argmax(-1))[:, None]
            out.append(token)
            done |= token[:, 0] == eos
            if done.all():
                break
        return np.concatenate(out, axis=1) if out else np.zeros((n, 0), np.int64)


class ExportRestorer(Restorer):
    """`Restorer` with its chunk generation done by an export's backend; chunking and reassembly are Restorer's.

    A bridge until `Restorer` takes a backend itself: it holds no PyTorch model, so it
    generates freely (constraint "none"), greedily.
    """

    def __init__(self, backend, config: Config):
        self.backend = backend
        self.config = dataclasses.replace(config, infer=dataclasses.replace(config.infer, constraint="none"))
        self.corrector = None  # free generation reads OCR as it stands
        self.lexicon = Lexicon({})  # exports carry no lexicon: every token is one it does not know

    def decode(self, sources: list[str], mode: str, doubts=None):
        raise ModelDirError(f"constraint {mode!r} needs the PyTorch model; exports generate freely (constraint none)")

    def generate(self, sources: list[str], num_beams: int = 1) -> list[str]:
        if num_beams != 1:
            raise ModelDirError(f"exports decode greedily; num_beams={num_beams} needs the PyTorch model")
        return self.backend.generate(sources)


def load_export(path: str | Path, threads: int = 0) -> ExportRestorer:
    """A restorer for a `vidiac-export` directory, CTranslate2 or ONNX by the files it holds."""
    path = Path(path)
    if (path / "model.bin").is_file():
        backend_class = CTranslate2Backend
    elif (path / "encoder.onnx").is_file() and (path / "decoder.onnx").is_file():
        backend_class = OnnxBackend
    else:
        raise ModelDirError(f"{path}: not a vidiac-export directory (no model.bin, nor encoder.onnx and decoder.onnx)")
    try:
        config = load_config(path)
        return ExportRestorer(backend_class(path, config.infer.batch_size, threads), config)
    except ConfigError as e:
        raise ModelDirError(str(e)) from None
    except ImportError as e:
        raise ModelDirError(f"{path}: exports run with the export extra, pip install 'vidiac[export]' ({e})") from None
