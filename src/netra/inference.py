"""Batch prediction with a trained netra model folder: spans, article types and HOLDS relations.

`Predictor` streams documents in chunks so memory stays flat however many there are. Per chunk,
every article is tokenised once (`netra.encoding`), cut into windows, and all windows of the chunk
are sorted by length into batches (little padding), run under `torch.inference_mode()` (with bf16
autocast when asked for), and merged back per document: the tagger's windows by centrality, the
classifier's chunks by pooling. Documents come out in input order.

Example::

    predictor = Predictor.from_dir("models/run1")
    for doc in predictor.predict_docs(read_docs("articles.jsonl")):
        print(doc.id, [(s.label, s.text_of(doc.text)) for s in doc.spans], doc.types)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

from netra.docs import Doc
from netra.encoding import (
    Encoding,
    build_window_inputs,
    encode_texts,
    logits_to_spans,
    merge_windows,
    pool_logits,
    split_windows,
)

try:  # the HOLDS rules are optional: without them predictions carry no relations
    from netra.relations import link_holds
except ImportError:  # pragma: no cover - depends on which modules are installed
    link_holds = None

META_FILE = "netra.json"
TASKS = ("tagger", "classifier")
DEFAULT_STRIDE = 128


class ModelError(ValueError):
    """A model folder that netra cannot use; the message says how to fix it."""


@dataclass
class LoadedModel:
    """One model folder (tagger or classifier) ready to run."""

    task: str
    path: Path
    model: Any
    tokenizer: Any
    labels: list[str]
    max_tokens: int  # window length without [CLS]/[SEP]
    stride: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def thresholds(self) -> dict[str, float]:
        given = self.meta.get("thresholds") or {}
        return {t: float(given.get(t, 0.5)) for t in self.labels}


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); re-save the model") from exc
    if meta.get("task") not in TASKS:
        raise ModelError(f"{path}: 'task' must be one of {TASKS}, got {meta.get('task')!r}")
    if not isinstance(meta.get("labels"), list) or not meta["labels"]:
        raise ModelError(f"{path}: 'labels' must be the non-empty list of the model's labels")
    return meta


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"device {device!r} asked for, but torch sees no CUDA GPU; use --device cpu")
    return dev


def bf16_supported(device: torch.device) -> bool:
    """Whether bf16 runs natively on `device` (CUDA compute capability 8+, or AVX512-BF16/AMX CPUs)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def _resolve_precision(precision: str, device: torch.device) -> str:
    if precision not in ("auto", "fp32", "bf16"):
        raise ModelError(f"precision must be auto, fp32 or bf16, got {precision!r}")
    if precision == "auto":
        return "bf16" if bf16_supported(device) else "fp32"
    if precision == "bf16" and not bf16_supported(device):
        raise ModelError(f"bf16 is not supported on {device}; use --precision fp32")
    return precision


def load_model(
    folder: str | Path,
    *,
    device: torch.device,
    max_length: int | None = None,
    stride: int | None = None,
) -> LoadedModel:
    """Load one tagger or classifier folder (weights, tokenizer, netra.json).

    Args:
        folder: a folder holding netra.json and a Hugging Face model.
        device: where to put the model.
        max_length: window length including [CLS]/[SEP]; default from netra.json.
        stride: overlap between windows in subtokens; default from netra.json.
    """
    folder = Path(folder)
    meta = _read_meta(folder)
    task = meta["task"]
    auto = AutoModelForTokenClassification if task == "tagger" else AutoModelForSequenceClassification
    model = auto.from_pretrained(folder).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    labels = [str(x) for x in meta["labels"]]
    config_labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    if config_labels != labels:
        raise ModelError(
            f"{folder}: config.json id2label {config_labels} differs from netra.json labels {labels}; "
            "the folder was edited by hand or mixed from two runs"
        )
    max_length = int(max_length or meta.get("max_length") or tokenizer.model_max_length)
    limit = int(getattr(model.config, "max_position_embeddings", max_length))
    if max_length > limit:
        raise ModelError(f"max length {max_length} is above the model's limit of {limit} positions; use --max-length {limit}")
    if max_length < 3:
        raise ModelError(f"max length {max_length} leaves no room for text between [CLS] and [SEP]")
    stride = int(stride if stride is not None else meta.get("stride", DEFAULT_STRIDE))
    if not 0 <= stride < max_length - 2:
        raise ModelError(f"stride {stride} must be at least 0 and below max length - 2 = {max_length - 2}")
    return LoadedModel(task, folder, model, tokenizer, labels, max_length - 2, stride, meta)


def _same_tokenizer(a: Any, b: Any) -> bool:
    return a.backend_tokenizer.to_str() == b.backend_tokenizer.to_str()


def config_hash(models: Sequence[LoadedModel]) -> str:
    """A short, stable hash of the resolved training configs (and labels) of the loaded models."""
    payload = {m.task: {"config": m.meta.get("config"), "labels": m.labels} for m in models}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class Predictor:
    """Runs a tagger and/or a classifier over documents.

    Build it with `Predictor.from_dir`; `predict_docs` streams predictions.
    """

    def __init__(
        self,
        *,
        tagger: LoadedModel | None,
        classifier: LoadedModel | None,
        device: torch.device,
        precision: str,
        batch_size: int = 8,
        chunk_docs: int = 64,
        path: str = "",
    ):
        if tagger is None and classifier is None:
            raise ModelError("a Predictor needs a tagger, a classifier or both")
        if batch_size < 1 or chunk_docs < 1:
            raise ValueError("batch_size and chunk_docs must be at least 1")
        self.tagger = tagger
        self.classifier = classifier
        self.device = device
        self.precision = precision
        self.batch_size = batch_size
        self.chunk_docs = chunk_docs
        self.models = [m for m in (tagger, classifier) if m is not None]
        self.model_info = {"path": path, "config_hash": config_hash(self.models), "precision": precision}
        # Tokenise once when both models read the same vocabulary (the normal case).
        self._shared_tokens = (
            tagger is not None and classifier is not None and _same_tokenizer(tagger.tokenizer, classifier.tokenizer)
        )

    @classmethod
    def from_dir(
        cls,
        path: str | Path,
        *,
        device: str = "auto",
        precision: str = "auto",
        batch_size: int = 8,
        max_length: int | None = None,
        stride: int | None = None,
        chunk_docs: int = 64,
    ) -> Predictor:
        """Load `models/<run>` (with tagger/ and/or classifier/) or a single model folder.

        Args:
            path: the run folder, or one tagger/classifier folder.
            device: "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:1", ...
            precision: "fp32", "bf16" (autocast), or "auto" (bf16 where the device supports it).
            batch_size: windows per forward pass.
            max_length: window length in subtokens including [CLS]/[SEP] (default: netra.json).
            stride: overlap of consecutive windows (default: netra.json).
            chunk_docs: documents tokenised and batched together; bounds memory.

        Example::

            predictor = Predictor.from_dir("models/run1", precision="fp32", batch_size=16)
        """
        root = Path(path)
        if not root.is_dir():
            raise ModelError(f"model folder {root} does not exist; pass models/<run> as written by train.py")
        if (root / META_FILE).exists():
            folders = {_read_meta(root)["task"]: root}
        else:
            folders = {t: root / t for t in TASKS if (root / t / META_FILE).exists()}
        if not folders:
            raise ModelError(
                f"no netra model in {root}: expected tagger/ and/or classifier/ with {META_FILE}, "
                f"or a model folder with {META_FILE} (as written by train.py)"
            )
        dev = _resolve_device(device)
        loaded = {
            t: load_model(f, device=dev, max_length=max_length, stride=stride) for t, f in folders.items()
        }
        return cls(
            tagger=loaded.get("tagger"),
            classifier=loaded.get("classifier"),
            device=dev,
            precision=_resolve_precision(precision, dev),
            batch_size=batch_size,
            chunk_docs=chunk_docs,
            path=str(root),
        )

    # -- running the models ------------------------------------------------------------------

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _run(self, lm: LoadedModel, items: list[dict[str, list[int]]]) -> list[np.ndarray]:
        """Logits per window item, in the items' order; windows are batched by length."""
        order = sorted(range(len(items)), key=lambda i: len(items[i]["input_ids"]))
        out: list[np.ndarray] = [np.empty(0)] * len(items)
        pad_id = lm.tokenizer.pad_token_id or 0
        # One autocast region for all batches: it caches the bf16 copies of the weights, which
        # would otherwise be cast again for every batch.
        with torch.inference_mode(), self._autocast():
            for b in range(0, len(order), self.batch_size):
                idx = order[b : b + self.batch_size]
                width = max(len(items[i]["input_ids"]) for i in idx)
                batch: dict[str, torch.Tensor] = {}
                for key in items[idx[0]]:
                    fill = pad_id if key == "input_ids" else 0
                    rows = [items[i][key] + [fill] * (width - len(items[i][key])) for i in idx]
                    batch[key] = torch.tensor(rows, dtype=torch.long, device=self.device)
                logits = lm.model(**batch).logits.float().cpu().numpy()
                for row, i in enumerate(idx):
                    out[i] = logits[row, : len(items[i]["input_ids"])] if logits.ndim == 3 else logits[row]
        return out

    def _windows(self, lm: LoadedModel, encs: list[Encoding]) -> tuple[list[dict], list[list[tuple[int, int]]]]:
        items: list[dict] = []
        per_doc = []
        for enc in encs:
            windows = split_windows(len(enc), max_tokens=lm.max_tokens, stride=lm.stride)
            per_doc.append(windows)
            items += build_window_inputs(enc, windows, lm.tokenizer)
        return items, per_doc

    def _predict_chunk(self, docs: list[Doc]) -> tuple[list[Doc], int]:
        """Predictions for a chunk of documents, and the number of subtokens read."""
        texts = [d.text for d in docs]
        encodings: dict[str, list[Encoding]] = {}
        for lm in self.models:
            if self._shared_tokens and encodings:
                encodings[lm.task] = next(iter(encodings.values()))
            else:
                encodings[lm.task] = encode_texts(texts, lm.tokenizer)
        spans_per_doc: list[list] = [[] for _ in docs]
        if self.tagger is not None:
            encs = encodings["tagger"]
            items, windows = self._windows(self.tagger, encs)
            logits = iter(self._run(self.tagger, items))
            for k, (enc, ws) in enumerate(zip(encs, windows, strict=True)):
                blocks = [next(logits)[1:-1] for _ in ws]  # drop [CLS]/[SEP] rows
                merged = merge_windows(ws, blocks, len(enc))
                spans_per_doc[k] = logits_to_spans(enc, merged, self.tagger.labels)
        scores_per_doc: list[dict[str, float] | None] = [None] * len(docs)
        if self.classifier is not None:
            clf = self.classifier
            items, windows = self._windows(clf, encodings["classifier"])
            logits = iter(self._run(clf, items))
            how = clf.meta.get("pooling", "mean")
            for k, ws in enumerate(windows):
                pooled = pool_logits(np.stack([next(logits) for _ in ws]), how)
                probs = 1.0 / (1.0 + np.exp(-pooled))
                scores_per_doc[k] = {t: float(p) for t, p in zip(clf.labels, probs, strict=True)}
        out = [self._output_doc(d, spans_per_doc[k], scores_per_doc[k]) for k, d in enumerate(docs)]
        return out, sum(len(e) for e in next(iter(encodings.values())))

    def _output_doc(self, doc: Doc, spans: list, type_scores: dict[str, float] | None) -> Doc:
        meta = dict(doc.meta)
        meta.pop("annotated_labels", None)  # that described the gold spans, which are replaced
        if self.tagger is not None:
            labels = sorted({t.split("-", 1)[1] for t in self.tagger.labels if t != "O"})
            schema_labels = (self.tagger.meta.get("schema") or {}).get("span_labels")
            if schema_labels and set(labels) != set(schema_labels):
                meta["annotated_labels"] = [x for x in schema_labels if x in labels]
        meta["model"] = dict(self.model_info)
        types = None
        if type_scores is not None:
            thresholds = self.classifier.thresholds
            types = [t for t, p in type_scores.items() if p >= thresholds[t]]
            if not types:  # every article has a type: fall back to the most likely one
                types = [max(type_scores, key=type_scores.__getitem__)]
        out = Doc(id=doc.id, text=doc.text, spans=spans, types=types, meta=meta, type_scores=type_scores)
        if link_holds is not None and self.tagger is not None:
            out.relations = link_holds(out)
        return out

    def predict_docs(self, docs: Iterable[Doc], *, progress: bool = False, total: int | None = None) -> Iterator[Doc]:
        """Predict documents lazily, `chunk_docs` at a time, yielding them in input order.

        Gold spans, types and relations of the input are ignored and replaced by predictions.

        Args:
            docs: documents (only `id`, `text` and `meta` are read).
            progress: show a progress bar with documents/s and tokens/s on stderr.
            total: number of documents, for the progress bar.
        """
        it = iter(docs)
        bar = tqdm(total=total, unit="doc", disable=not progress, dynamic_ncols=True)
        start, n_tokens = time.perf_counter(), 0
        try:
            while chunk := list(islice(it, self.chunk_docs)):
                out, chunk_tokens = self._predict_chunk(chunk)
                n_tokens += chunk_tokens
                bar.update(len(chunk))
                bar.set_postfix_str(f"{n_tokens / max(time.perf_counter() - start, 1e-9):,.0f} tok/s")
                yield from out
        finally:
            bar.close()
