"""vidiac-export: a model directory as a CTranslate2 or ONNX model, for runtimes without PyTorch.

    vidiac-export models/default --format ctranslate2 --quantize int8 -o exports/ct2
    vidiac-export models/default --format onnx -o exports/onnx --check held_out.txt
    vidiac-restore -m exports/ct2 report.txt

The export directory holds the converted model beside the model directory's `vidiac.yaml`,
lexicon and OCR channel, so that it restores through the same pipeline as the model directory
(backends.py): the constraint, the prior, the corrector and review are the same; only the
model's arithmetic runs on another runtime. `--check FILE` takes FILE's lines as correctly
written Vietnamese, restores them stripped of their marks with both, and prints how many lines
and words the two agree on, each one's word accuracy, and both speeds.

The ONNX export is two graphs: `encoder.onnx` (input bytes to encoder states, and each
decoder layer's cross-attention keys and values, computed once per input) and
`decoder.onnx` (new tokens and the self-attention cache of the tokens before them, to
logits and the grown cache).
"""
import argparse
import contextlib
import shutil
import sys
import time
from pathlib import Path

import torch
from transformers import ByT5Tokenizer, EncoderDecoderCache, T5ForConditionalGeneration

from .backends import ModelDirError, check_model_dir, is_export
from .config import CONFIG_NAME, ConfigError, load_config
from .correction import CHANNEL_NAME
from .restorer import Restorer
from .vietnamese import strip_diacritics

FORMATS = ("ctranslate2", "onnx")


class ExportError(Exception):
    """A request that cannot be exported as asked, reported in one line."""


def export_ctranslate2(model_dir: Path, out: Path, quantize: str | None) -> None:
    from ctranslate2.converters import TransformersConverter

    class Converter(TransformersConverter):
        def load_model(self, model_class, path, **kwargs):
            model = super().load_model(model_class, path, **kwargs)
            # transformers 5 always reports tied embeddings and keeps T5 1.0's output scaling in
            # `scale_decoder_outputs`; CTranslate2 reads the tie flag as that scaling, which
            # ByT5-style models (ours) do not have.
            model.config.tie_word_embeddings = model.config.scale_decoder_outputs
            return model

    Converter(str(model_dir)).convert(str(out), quantization=quantize or "float32", force=True)


class _Encoder(torch.nn.Module):
    def __init__(self, model: T5ForConditionalGeneration):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        hidden = self.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        out = {"encoder_hidden_states": hidden}
        shape = (hidden.shape[0], -1, self.model.config.num_heads, self.model.config.d_kv)
        for i, block in enumerate(self.model.decoder.block):
            attention = block.layer[1].EncDecAttention
            out[f"cross_key_{i}"] = attention.k(hidden).view(shape).transpose(1, 2)
            out[f"cross_value_{i}"] = attention.v(hidden).view(shape).transpose(1, 2)
        return out


class _DecoderStep(torch.nn.Module):
    def __init__(self, model: T5ForConditionalGeneration):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, encoder_hidden_states, cross, past):
        # With the cross-attention keys already in the cache, T5 uses them and does not
        # project the encoder states again; it still needs the states for the mask's shape.
        cache = EncoderDecoderCache([(*past[i:i + 2], *cross[i:i + 2]) for i in range(0, len(past), 2)])
        out = self.model(decoder_input_ids=input_ids, attention_mask=attention_mask,
                         encoder_outputs=(encoder_hidden_states,), cache=cache, use_cache=True)
        present = [t for layer in out.cache.self_attention_cache.layers for t in (layer.keys, layer.values)]
        return {"logits": out.logits, "present": present}


def export_onnx(model_dir: Path, out: Path) -> None:
    from torch.export import Dim
    from transformers.exporters import ExportedModel, OnnxConfig, OnnxExporter

    model = T5ForConditionalGeneration.from_pretrained(model_dir).eval()
    # Sample sizes of 2 and more: torch.export fixes any dimension traced at 0 or 1.
    sample = ByT5Tokenizer()(["xa Hoa Binh", "UBND tinh"], return_tensors="pt", padding=True)
    inputs = {"input_ids": sample.input_ids, "attention_mask": sample.attention_mask}
    batch, source, past, new = Dim("batch"), Dim("source"), Dim("past", min=0), Dim("new", min=1)
    exporter = OnnxExporter()
    encoder = exporter.export(_Encoder(model), inputs, OnnxConfig(dynamic_shapes={
        "input_ids": {0: batch, 1: source}, "attention_mask": {0: batch, 1: source}}))
    with torch.no_grad():
        states = _Encoder(model)(**inputs)
    cross = [v for k, v in states.items() if k.startswith("cross_")]
    heads, d_kv = model.config.num_heads, model.config.d_kv
    step_inputs = {"input_ids": torch.zeros(2, 2, dtype=torch.long), "attention_mask": inputs["attention_mask"],
                   "encoder_hidden_states": states["encoder_hidden_states"], "cross": cross,
                   "past": [torch.zeros(2, heads, 3, d_kv) for _ in cross]}
    decoder = exporter.export(_DecoderStep(model), step_inputs, OnnxConfig(dynamic_shapes={
        "input_ids": {0: batch, 1: new}, "attention_mask": {0: batch, 1: source},
        "encoder_hidden_states": {0: batch, 1: source}, "cross": [{0: batch, 2: source}] * len(cross),
        "past": [{0: batch, 2: past}] * len(cross)}))
    components = {"encoder": encoder.components["model"], "decoder": decoder.components["model"]}
    ExportedModel(components, "onnx", config=model.config).save_pretrained(out)


def export(model_dir: str | Path, fmt: str, out: str | Path, quantize: str | None = None) -> Path:
    model_dir, out = check_model_dir(model_dir), Path(out)
    if is_export(model_dir):
        raise ExportError(f"{model_dir}: is an export already; export the model directory it came from")
    load_config(model_dir)  # a broken vidiac.yaml is reported now, not when the export is loaded
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: already exists and is not an empty directory; choose a new output directory")
    if fmt == "onnx" and quantize:
        raise ExportError("--quantize is for --format ctranslate2; ONNX exports are float32")
    out.mkdir(parents=True, exist_ok=True)
    try:
        if fmt == "ctranslate2":
            export_ctranslate2(model_dir, out, quantize)
        else:
            export_onnx(model_dir, out)
    except ImportError as e:
        raise ExportError(f"{fmt} exports need the export extra, pip install 'vidiac[export]' ({e})") from None
    # What the pipeline reads besides the weights: its settings, the lexicon (in its shards), the channel.
    for path in [model_dir / CONFIG_NAME, model_dir / CHANNEL_NAME, *model_dir.glob("lexicon*.npz")]:
        if path.is_file():
            shutil.copy(path, out / path.name)
    return out


def check(model_dir: Path, export_dir: Path, lines: list[str], threads: int = 0) -> dict[str, float]:
    """`lines`, correctly written, restored from their stripped form through the whole pipeline
    on PyTorch and on the export: the share of lines and of words the two restore alike, each
    one's word accuracy against `lines`, and both speeds."""
    stripped = [strip_diacritics(s) for s in lines]
    restored, speeds = {}, {}
    for name, path in (("pytorch", model_dir), ("export", export_dir)):
        with Restorer.from_pretrained(path, threads=threads) as restorer:
            start = time.perf_counter()
            restored[name] = restorer.restore_many(stripped)
            speeds[name] = sum(map(len, lines)) / (time.perf_counter() - start)
    words = [(g, a, b) for line, x, y in zip(lines, restored["pytorch"], restored["export"])
             for g, a, b in zip(line.split(), x.split(), y.split())]
    n = max(1, len(words))
    same_lines = sum(a == b for a, b in zip(restored["pytorch"], restored["export"]))
    return {"lines": len(lines), "line_agreement": same_lines / max(1, len(lines)),
            "word_agreement": sum(a == b for _, a, b in words) / n,
            "pytorch_word_accuracy": sum(g == a for g, a, _ in words) / n,
            "export_word_accuracy": sum(g == b for g, _, b in words) / n,
            "pytorch_chars_per_s": speeds["pytorch"], "export_chars_per_s": speeds["export"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vidiac-export", description=__doc__.split("\n")[0])
    parser.add_argument("model", metavar="MODEL_DIR", help="trained model directory, e.g. models/default")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="new directory to write the export to")
    parser.add_argument("--quantize", choices=("int8",), help="int8 weights (ctranslate2 only)")
    parser.add_argument("--check", metavar="FILE",
                        help="after exporting, restore FILE's non-empty lines (correctly written Vietnamese), "
                             "stripped of their marks, with PyTorch and with the export; print how many lines and "
                             "words agree, each one's word accuracy and both speeds")
    parser.add_argument("--threads", type=int, help="CPU threads for the check (default: each runtime's choice)")
    args = parser.parse_args(argv)
    try:
        lines = None
        if args.check:
            try:
                lines = [s for s in Path(args.check).read_text(encoding="utf-8").splitlines() if s.strip()]
            except (OSError, UnicodeDecodeError) as e:
                raise ExportError(f"{args.check}: cannot read it as UTF-8 text: {e}") from None
        # torch.onnx prints its progress on stdout, which carries only the check's report.
        with contextlib.redirect_stdout(sys.stderr):
            out = export(args.model, args.format, args.output, args.quantize)
        print(f"vidiac-export: wrote {out}", file=sys.stderr)
        if lines is not None:
            report = check(Path(args.model), out, lines, args.threads or 0)
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in report.items()))
    except (ExportError, ModelDirError, ConfigError) as e:
        print(f"vidiac-export: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
