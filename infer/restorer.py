"""Load a trained model directory and restore diacritics in documents."""
import dataclasses
import functools
import itertools
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

from .backends import ModelDirError, batches, check_model_dir, load_backend
from .chunking import Layout, align_words, chunk_text, per_word, plan_chunks, split_text
from .config import Config, ConfigError, load_config
from .correction import Corrector, Scanned
from .decoding import Row, decode
from .lexicon import MODES, TOKEN, Lexicon
from .prior import folded, left_as_written
from .vietnamese import WORD, may_be_syllable, normalize_input, set_tone_style, strip_diacritics
from .workers import Workers

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default"
# A line is judged not Vietnamese from 4 words, 70% of them no Vietnamese syllable: a line of
# names (`Diego Costa tra dua Antonio Conte`, 67%) is still restored.
FOREIGN_WORDS, FOREIGN_SHARE = 4, 0.7
# How much a document reads like OCR, by its share of words the lexicon does not know: typed
# text has up to TYPED_UNKNOWN (names, foreign words) and gets no correction; from OCR_UNKNOWN
# on (Tesseract `eng` output: a median of 0.14 per paragraph), the channel's full error rates.
TYPED_UNKNOWN, OCR_UNKNOWN = 0.02, 0.1
# A document's marks are taken to be wrong at least this often, however rarely they make words
# the lexicon does not know: with infer.mark_doubt 2, another form than the one written weighs
# at least 0.001.
MIN_SHARE = 0.0005
# A document that writes bare at most this share of its words that need marks is written with
# marks (infer.marked_correction): about 0.001 from Tesseract `vie`, 0.3 in partly stripped text.
MARKED_BARE = 0.1
# A page's line shorter than this share of its widest lines (their 90th percentile of lengths),
# before a line that does not go on in lowercase, ends its paragraph: a justified page's wrapped
# lines fill it. On fewer lines than FULL_LINES no width is told.
SHORT_LINE, FULL_LINES = 0.85, 4
# Documents are restored this many characters at a time (a longer one alone), so that memory
# stays flat: the model batches the chunks of a batch by length, and on 241,000 characters of
# news, batches of 16,000 restored 20% slower than one of them all. Worker processes take
# smaller batches, so that they finish together: 32,000 restored that news fastest on 2 workers.
BATCH_CHARS, WORKER_CHARS = 256_000, 32_000
# The items of a list are lettered in the Vietnamese alphabet (Decree 30/2020/NĐ-CP), so d) is
# followed by đ), which an engine without a Vietnamese model and stripped text write as d); an
# engine may also print a symbol for the letter (`ø)` for g), `¡)` for i)).
ITEM_LETTERS = "abcdđeghiklmnopqrstuvxy"
ITEM = re.compile(r"[^\s\d()]\)")
CLAUSE = re.compile(r"\d+\.")  # `2.`: a clause, whose items start again at a)


def _without(chunk: tuple[int, int], skip: list[bool]) -> list[tuple[int, int]]:
    """The runs of words in `chunk` that `skip` does not mark."""
    runs = []
    for i in range(*chunk):
        if skip[i]:
            continue
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def lines(layout: Layout) -> list[tuple[int, int]]:
    """The word ranges of the layout's lines."""
    starts = [0] + [i for i in range(1, len(layout.words)) if "\n" in layout.gaps[i]] + [len(layout.words)]
    return list(zip(starts, starts[1:]))


def _between(before: str, after: str) -> str | None:
    """The item letter between the letters of two items (d and đ either way), if one."""
    def alike(x: str) -> set[str]:
        return {"d", "đ"} if x in "dđ" else {x}
    found = {ITEM_LETTERS[i + 1] for i, x in enumerate(ITEM_LETTERS[:-2])
             if x in alike(before) and ITEM_LETTERS[i + 2] in alike(after)}
    return found.pop() if len(found) == 1 else None


def lettered(layout: Layout, words: list[str], skip: list[bool]) -> list[int]:
    """Set in place the letter of a list item that starts a line, where it is `d)` or `đ)` or a
    symbol, by the items before and after it (`c)` and `đ)`: d; `d)` and `e)`: đ; `e)` and `h)`:
    g), in their case, with no clause (`2.`) between them; the words changed."""
    items = []  # per run of items, their first words
    for a, b in lines(layout):
        if a < b and not skip[a] and ITEM.match(words[a]):
            if not items:
                items.append([])
            items[-1].append(a)
        elif a < b and CLAUSE.match(words[a]):
            items.append([])
    changed = []
    for run in items:
        for before, a, after in zip(run, run[1:], run[2:]):
            letter, (first, last) = words[a][0], (words[before][0], words[after][0])
            right = _between(first.lower(), last.lower())
            if right and right != letter.lower() and (letter.lower() in "dđ" or letter.lower() not in ITEM_LETTERS):
                words[a] = (right.upper() if first.isupper() and last.isupper() else right) + words[a][1:]
                changed.append(a)
    return changed


def grouped(texts: Iterable[str], chars: int) -> Iterator[list[str]]:
    """Consecutive `texts` in lists of about `chars` characters."""
    group, size = [], 0
    for text in texts:
        group.append(text)
        size += len(text)
        if size >= chars:
            yield group
            group, size = [], 0
    if group:
        yield group


def default_model_dir() -> Path:
    return Path(os.environ.get("VIDIAC_MODEL", DEFAULT_MODEL))


@dataclasses.dataclass
class Document:
    """One document through review_batch's stages: its words (rewritten in place by correction),
    the words as they came, which stand on foreign lines, and what the engine knew of each."""
    layout: Layout
    foreign: list[bool]
    given: list[str]
    evidence: list | None = None


class Restorer:
    """`Restorer.from_pretrained(path).restore(text)` gives `text` with its diacritics restored."""

    def __init__(self, backend, config: Config, lexicon: Lexicon | None = None,
                 corrector: Corrector | None = None, jobs: int = 1, loader=None):
        """`backend`: the model on its runtime (backends.py); `jobs`: worker processes (one thread
        each) that share the documents of a call; `loader` loads this restorer again in a worker
        where it cannot be forked."""
        if jobs < 1:
            raise ValueError(f"jobs: expected 1 or more worker processes, got {jobs}")
        self.backend = backend
        self.config = config
        self.lexicon = lexicon or Lexicon({})
        self.corrector = corrector
        if config.infer.constraint not in (*MODES, "none"):
            raise ModelDirError(f"infer.constraint must be one of {(*MODES, 'none')}, not {config.infer.constraint!r}")
        self.jobs, self._loader, self._workers = jobs, loader, None

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._workers:
            self._workers.close()
            self._workers = None

    def __enter__(self) -> "Restorer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, device: str = "cpu", jobs: int = 1, threads: int = 0,
                        **infer) -> "Restorer":
        """The restorer of a model directory or a `vidiac-export` directory, restoring in `jobs`
        processes with `threads` CPU threads for the model (0: the runtime's choice); keyword
        arguments override its `infer` settings."""
        path = check_model_dir(path or default_model_dir())
        try:
            config = load_config(path)
            config = dataclasses.replace(config, infer=dataclasses.replace(config.infer, **infer))
        except ConfigError as e:
            raise ModelDirError(str(e)) from None
        backend = load_backend(path, device, threads)
        try:
            lexicon = Lexicon.load(path)
            corrector = Corrector.load(path, lexicon, config.infer.ocr_severity, config.infer.sure_correction,
                                       config.infer.sure_unknown)
        except ValueError as e:
            raise ModelDirError(str(e)) from None
        return cls(backend, config, lexicon, corrector, jobs, functools.partial(cls.from_pretrained, path, device,
                                                                                threads=1, **infer))

    def restore(self, text: str, **options) -> str:
        return self.restore_many([text], **options)[0]

    def restore_many(self, texts: Iterable[str], **options) -> list[str]:
        """Restore several documents, batching their chunks together (options as `review_batch`)."""
        return [text for text, _ in self.stream(texts, **options)]

    def review(self, texts: Iterable[str], **options) -> list[tuple[str, list[dict]]]:
        """Each document restored, with a record per word (options and records as `review_batch`)."""
        return list(self.stream(texts, **options))

    def stream(self, texts: Iterable[str], batch_chars: int | None = None,
               **options) -> Iterator[tuple[str, list[dict]]]:
        """`review` of a stream of documents, in order, read a batch of about `batch_chars`
        characters at a time as they are restored (by default BATCH_CHARS, or WORKER_CHARS
        where there are worker processes), on the worker processes where there are any."""
        batches = grouped(texts, batch_chars or (BATCH_CHARS if self.jobs == 1 else WORKER_CHARS))
        first = list(itertools.islice(batches, 2))  # one batch (a page) is restored here, on all threads
        batches = itertools.chain(first, batches)
        if self.jobs == 1 or len(first) < 2:
            for texts in batches:
                yield from self.review_batch(texts, **options)
            return
        if self._workers is None:
            self._workers = Workers(self, self.jobs, self._loader)
        for reviewed in self._workers.map(batches, options):
            yield from reviewed

    def review_batch(self, texts: list[str | Scanned], num_beams: int | None = None, tone_style: str | None = None,
                     constraint: str | None = None) -> list[tuple[str, list[dict]]]:
        """Each document restored, in this process, with a record per word: input, output, and a confidence.
        A document read from a page image may come as Scanned, what the engine knew of each character.

        `constraint` (default: the config's) is "skeleton" (only marks change, words become
        forms seen in training), "ocr" (also known OCR misreadings: `x4` -> `xã`) or "none"
        (free generation, beam search possible; a word that does not align keeps its input and
        is flagged). A word's confidence is the probability of its least certain choice.
        """
        constraint = constraint or self.config.infer.constraint
        docs = self.prepare(texts)
        if self.corrector and constraint != "none":
            for doc in docs:
                self.correct(doc.layout, doc.foreign, doc.evidence)
        chunks = self.plan(docs, constraint)
        outputs, confidences = self.decode_chunks(docs, chunks, constraint, num_beams)
        return self.assemble(docs, chunks, outputs, confidences, constraint, tone_style or self.config.text.tone_style)

    def prepare(self, texts: list[str | Scanned]) -> list[Document]:
        """Stage 1: each document normalised and cut into words, its foreign lines found."""
        docs = []
        for t in texts:
            layout = Layout.of(normalize_input(t.text if isinstance(t, Scanned) else t), self.config.infer.chunk_bytes)
            chars = t.chars if isinstance(t, Scanned) else None
            # The engine's characters stand for the words they were read as (a word cut in pieces: none).
            evidence = (self.corrector.evidence(chars) if self.corrector and chars and len(chars) == len(layout.words)
                        else None)
            docs.append(Document(layout, self.foreign(layout), list(layout.words), evidence))
        return docs

    def plan(self, docs: list[Document], constraint: str) -> list[tuple[int, tuple[int, int]]]:
        """Stage 3: the chunks to restore, (document, word range), foreign lines left out. Decoding
        reads spans of prior_bytes (it gives the model chunk_bytes at a time); free generation
        reads chunks."""
        limit = self.config.infer.chunk_bytes if constraint == "none" else self.config.infer.prior_bytes
        return [(d, part) for d, doc in enumerate(docs) for c in plan_chunks(doc.layout, limit)
                for part in _without(c, doc.foreign)]

    def decode_chunks(self, docs: list[Document], chunks: list[tuple[int, tuple[int, int]]], constraint: str,
                      num_beams: int | None = None) -> tuple[list[str], list[list[float | None]]]:
        """Stage 4: each chunk's restored text and its words' confidences (None: free generation)."""
        sources = [chunk_text(docs[d].layout, c) for d, c in chunks]
        if constraint == "none":
            return (self.generate(sources, num_beams or self.config.infer.num_beams),
                    [[None] * len(s.split()) for s in sources])
        doubts = [self.doubt([w for w, f in zip(doc.given, doc.foreign) if not f]) for doc in docs]
        noises = [self.noise([w for w, f in zip(doc.given, doc.foreign) if not f],
                             [w for w, f in zip(doc.layout.words, doc.foreign) if not f]) for doc in docs]
        rows = self.decode(sources, constraint, [doubts[d] for d, _ in chunks], [noises[d] for d, _ in chunks])
        return [row.text for row in rows], [row.word_confidence() for row in rows]

    def assemble(self, docs: list[Document], chunks: list[tuple[int, tuple[int, int]]], outputs: list[str],
                 confidences: list[list[float | None]], constraint: str, style: str) -> list[tuple[str, list[dict]]]:
        """Stage 5: each document's words restored in place, every gap as it was, and a record per word."""
        restored = [list(doc.layout.words) for doc in docs]
        records = [[{"input": w, "output": w, "confidence": None, "flag": "not Vietnamese"} if f else None
                    for w, f in zip(doc.layout.words, doc.foreign)] for doc in docs]
        for (d, (start, end)), out, conf in zip(chunks, outputs, confidences):
            words, given = docs[d].layout.words[start:end], docs[d].given[start:end]
            aligned = align_words(words, out)
            restored[d][start:end] = aligned
            for k, (src, new, c) in enumerate(zip(words, aligned, per_word(words, conf))):
                fell_back = constraint == "none" and src == new and src not in out.split()
                unknown = constraint == "skeleton" and any(left_as_written(t, self.lexicon)
                                                           for t in TOKEN.findall(src))
                records[d][start + k] = {"input": given[k], "output": set_tone_style(new, style),
                                         "confidence": None if unknown else c,
                                         "flag": "kept input" if fell_back else "corrected" if given[k] != src
                                         else "unknown word" if unknown else None}
        for doc, words, recs in zip(docs, restored, records):
            for k in lettered(doc.layout, words, doc.foreign):
                recs[k]["output"] = set_tone_style(words[k], style)
        return [(set_tone_style(doc.layout.join(words), style), recs)
                for doc, words, recs in zip(docs, restored, records)]

    def foreign(self, layout: Layout) -> list[bool]:
        """Per word, whether it stands on a line that is not Vietnamese (an English paragraph, a
        reference), which is left as it is: a line of FOREIGN_WORDS words or more (all-caps codes
        aside) of which at least FOREIGN_SHARE cannot be a Vietnamese syllable, and the lexicon
        knows at least half of those as they are written (English words of the news; OCR's
        garbled words it does not know)."""
        flags = [False] * len(layout.words)
        for a, b in lines(layout):
            tokens = [t for w in layout.words[a:b] for t in WORD.findall(w) if not t.isdigit() and not t.isupper()]
            alien = [t for t in tokens if not may_be_syllable(t)]
            known = sum(self.lexicon.candidates(t, "skeleton") == (t,) for t in alien)
            if len(tokens) >= FOREIGN_WORDS and len(alien) >= FOREIGN_SHARE * len(tokens) and known >= len(alien) / 2:
                flags[a:b] = [True] * (b - a)
        return flags

    def doubt(self, words: list[str]) -> tuple[float, float]:
        """How much decoding doubts the way a document's words are written (decoding.Row), for
        words with marks and without: infer.mark_doubt times the share of its marked words that
        are no form the lexicon knows, and times the share of its words that need marks (every
        form has some) written without (each share at least MIN_SHARE); at most 1. Stripped text: (1, 1);
        Tesseract `vie` on a good scan about (0.02, 0.01); its `eng` model (`Két`, `tuyén`) (1, 1)."""
        (unknown, marked), (bare, needing) = self.marks(words)

        def doubt(share: float, seen: int) -> float:
            return min(1.0, self.config.infer.mark_doubt * max(MIN_SHARE, share)) if seen else 1.0
        return doubt(unknown, marked), doubt(bare, needing)

    def marks(self, words: list[str]) -> tuple[tuple[float, int], tuple[float, int]]:
        """How a document writes marks: (the share of its marked words that are no form the lexicon
        knows, how many are marked), (the share of its words that need marks written without, how
        many need them)."""
        marked = unknown = needing = bare = 0
        for t in (t for w in words for t in TOKEN.findall(w.lower()) if any(c.isalpha() for c in t)):
            letters = strip_diacritics(t)
            forms = self.lexicon.forms.get(letters, ())
            if letters != t:
                marked += 1
                unknown += all(folded(f) != folded(t) for f in forms)
            if forms and letters not in forms:  # no form without marks
                needing += 1
                bare += letters == t
        return (unknown / max(marked, 1), marked), (bare / max(needing, 1), needing)

    def reads_like_ocr(self, words: list[str]) -> float:
        """How much a document reads like OCR, from the share of its words the lexicon does not
        know: 0 up to TYPED_UNKNOWN, 1 from OCR_UNKNOWN."""
        share = self.corrector.share_unknown(words)
        return min(1.0, max(0.0, share - TYPED_UNKNOWN) / (OCR_UNKNOWN - TYPED_UNKNOWN))

    def noise(self, given: list[str], corrected: list[str]) -> float:
        """The chance that a token of a document is misread, for the prior (Lexicon.tables):
        infer.prior_noise times the share of its words, once corrected, that the lexicon does not
        know (what correction could not place), times how much it read like OCR before (typed
        text: 0, whatever names it holds), at most 1. It is 0 where correction rewrote no word, since
        the unknown words of such a text are units, codes and names, not misreadings (`25ha`,
        `5.500kg/ha` on a short line), and 0 without a corrector, which reads no OCR."""
        if not self.corrector or given == corrected:
            return 0.0
        share = self.corrector.share_unknown(corrected)
        return min(1.0, self.config.infer.prior_noise * share * self.reads_like_ocr(given))

    def correct(self, layout: Layout, foreign: list[bool], evidence: list | None = None) -> None:
        """Stage 2: rewrite in place the words OCR misread (correction.py), line by line, at the channel's
        error rates scaled by how much the document reads like OCR; `evidence`: per word, what the
        engine knew of its characters (Corrector.evidence)."""
        words = [w for w, f in zip(layout.words, foreign) if not f]
        factor = ocr = self.reads_like_ocr(words)
        if factor < self.config.infer.marked_correction:  # else it reads like OCR enough already
            bare, needing = self.marks(words)[1]
            if needing and bare <= MARKED_BARE:
                factor = self.config.infer.marked_correction
        if evidence:
            factor = max(factor, self.config.infer.scanned_correction)
        if not factor:
            return
        spans = lines(layout)
        lengths = [len(" ".join(layout.words[a:b])) for a, b in spans]
        width = sorted(lengths)[int(0.9 * (len(lengths) - 1))] if len(lengths) >= FULL_LINES else 0
        for (a, b), length in zip(spans, lengths):
            # A line with no letter (`@@@`, `***`) is a separator or a table rule, not misread words.
            if not foreign[a] and any(c.isalpha() for w in layout.words[a:b] for c in w):
                following = layout.words[b] if b < len(layout.words) else ""
                ended = not following[:1].islower() and length < SHORT_LINE * width
                layout.words[a:b] = self.corrector.correct(layout.words[a:b], factor, evidence and evidence[a:b],
                                                           recase=bool(ocr or evidence),
                                                           before=layout.words[a - 1] if a else "",
                                                           next_line=following, paragraph_end=ended)

    def decode(self, sources: list[str], mode: str, doubts: list[tuple[float, float]] | None = None,
               noises: list[float] | None = None) -> list[Row]:
        """Constrained greedy decoding of texts of up to prior_bytes (see decoding.py): the words
        the prior is sure of are settled without the model, which decodes the stretches around
        the others, cut to chunk_bytes and batched by length. `doubts`: per text, how much its
        written marks are doubted (1: they are no evidence); `noises`: per text, the chance that
        a token is misread (prior.Line)."""
        if mode not in MODES:
            raise ValueError(f"constraint must be one of {MODES} or 'none', not {mode!r}")
        cfg = self.config.infer
        rows = [Row(s, self.lexicon, mode, cfg.prior_weight, doubt=d, noise=n)
                for s, d, n in zip(sources, doubts or [(1.0, 1.0)] * len(sources), noises or [0.0] * len(sources))]
        parts = [(row, start + a, Row(row.source[start + a:start + b], self.lexicon, mode, cfg.prior_weight,
                                      {k - a: f for k, f in known.items() if a <= k < b}, row.doubt, row.noise))
                 for row in rows for start, end, known in row.settle(cfg.sure_prior, cfg.context_words)
                 for a, b in split_text(row.source[start:end], cfg.chunk_bytes)]
        texts = [part.source for _, _, part in parts]
        self.passes = 0
        for idx in batches(texts, cfg.batch_size):
            session = self.backend.session([texts[i] for i in idx])
            self.passes += decode(session, [parts[i][2] for i in idx])
        for row, start, part in parts:
            row.take(start, part)
        return rows

    def generate(self, sources: list[str], num_beams: int = 1) -> list[str]:
        """Unconstrained model outputs for chunk texts."""
        outputs = [""] * len(sources)
        for idx in batches(sources, self.config.infer.batch_size):
            for i, text in zip(idx, self.backend.generate([sources[i] for i in idx], num_beams)):
                outputs[i] = text
        return outputs
