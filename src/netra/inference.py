"""Batch prediction with a trained netra model folder: spans, article types and HOLDS relations.

`Predictor` streams documents in chunks so memory stays flat however many there are. Per chunk,
every article is tokenised once (`netra.encoding`), cut into windows, and all windows of the chunk
are sorted by length into batches (little padding), run under `torch.inference_mode()` (with bf16
autocast when asked for), and merged back per document: the tagger's windows by centrality, the
classifier's chunks by pooling. Documents come out in input order.

A classifier trained with `model.classifier_encoder: shared` (the default) has no encoder of its
own: it is a linear `ArticleHead` on the mean of the tagger encoder's sub-token states. Then each
window goes through the encoder ONCE and both the tags and the article-type logits are read from
that pass, half the work of running two models.

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
from safetensors.numpy import load_file, save_file
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
HEAD_FILE = "head.safetensors"
TASKS = ("tagger", "classifier")
DEFAULT_STRIDE = 128


class ModelError(ValueError):
    """A model folder that netra cannot use; the message says how to fix it."""


@dataclass
class ArticleHead:
    """Article-type logits of one window from a shared encoder: `weight @ features + bias`.

    `features` is `mean_pool` of the encoder's last hidden states over the window's text
    sub-tokens. Stored as `head.safetensors` (weight: n_types x hidden, bias: n_types).
    """

    weight: np.ndarray
    bias: np.ndarray

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weight.T + self.bias

    def save(self, folder: Path) -> None:
        save_file({"weight": np.ascontiguousarray(self.weight, dtype=np.float32),
                   "bias": np.ascontiguousarray(self.bias, dtype=np.float32)}, str(folder / HEAD_FILE))

    @classmethod
    def load(cls, folder: Path, *, n_types: int) -> ArticleHead:
        path = folder / HEAD_FILE
        if not path.is_file():
            raise ModelError(f"{folder}: {HEAD_FILE} is missing; this classifier folder is incomplete, train it again")
        tensors = load_file(str(path))
        weight, bias = tensors.get("weight"), tensors.get("bias")
        if weight is None or bias is None or weight.ndim != 2 or weight.shape[0] != n_types or bias.shape != (n_types,):
            raise ModelError(f"{path}: expected weight ({n_types}, hidden) and bias ({n_types},) for the "
                             f"{n_types} labels of netra.json; the folder was edited or mixed from two runs")
        return cls(weight.astype(np.float32), bias.astype(np.float32))


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, L, H) states -> (B, H): the mean over each window's text sub-tokens.

    [CLS] (position 0), [SEP] (the last unpadded position) and padding are left out.
    """
    mask = attention_mask.clone()
    mask[:, 0] = 0
    mask[torch.arange(len(mask), device=mask.device), attention_mask.sum(dim=1) - 1] = 0
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)


def forward_with_states(model: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token logits and the last hidden states (the token head's input) from one forward pass.

    The states are caught on their way into the model's `classifier` layer (every
    AutoModelForTokenClassification in transformers names its head so), which keeps no other
    layer's output alive; models without one fall back to `output_hidden_states`.
    """
    head = getattr(model, "classifier", None)
    if isinstance(head, torch.nn.Module):
        seen: list[torch.Tensor] = []
        handle = head.register_forward_pre_hook(lambda _module, args: seen.append(args[0]))
        try:
            logits = model(**batch).logits
        finally:
            handle.remove()
        return logits, seen[-1]
    out = model(**batch, output_hidden_states=True)
    return out.logits, out.hidden_states[-1]


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
    head: ArticleHead | None = None  # a classifier on the tagger's encoder (then `model` is the tagger's)

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
    encoder: LoadedModel | None = None,
) -> LoadedModel:
    """Load one tagger or classifier folder (weights, tokenizer, netra.json).

    Args:
        folder: a folder holding netra.json and a Hugging Face model, or (a classifier on a shared
            encoder) netra.json and head.safetensors.
        device: where to put the model.
        max_length: window length including [CLS]/[SEP]; default from netra.json.
        stride: overlap between windows in subtokens; default from netra.json.
        encoder: the tagger already loaded from the folder a shared classifier points at; it is
            used instead of loading that folder a second time.
    """
    folder = Path(folder)
    meta = _read_meta(folder)
    task = meta["task"]
    if task == "classifier" and meta.get("encoder"):
        return _load_shared_classifier(folder, meta, device=device, max_length=max_length, stride=stride,
                                       encoder=encoder)
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


def shared_encoder_dir(folder: Path, meta: dict[str, Any]) -> Path:
    """The tagger folder whose encoder a shared classifier reads (netra.json "encoder")."""
    rel = (meta.get("encoder") or {}).get("shared_with")
    if not isinstance(rel, str) or not rel:
        raise ModelError(f"{folder / META_FILE}: 'encoder' must be {{\"shared_with\": \"<tagger folder>\"}}")
    return (folder / rel).resolve()


def _load_shared_classifier(
    folder: Path,
    meta: dict[str, Any],
    *,
    device: torch.device,
    max_length: int | None,
    stride: int | None,
    encoder: LoadedModel | None,
) -> LoadedModel:
    where = shared_encoder_dir(folder, meta)
    if encoder is None or encoder.path.resolve() != where:
        if not (where / META_FILE).is_file():
            raise ModelError(
                f"{folder}: this classifier reads the encoder of the tagger in {where}, which is missing; "
                "keep the run folder whole (tagger/ beside classifier/) when copying a model"
            )
        encoder = load_model(where, device=device, max_length=max_length, stride=stride)
    if encoder.task != "tagger":
        raise ModelError(f"{folder}: the shared encoder in {where} must be a tagger, not a {encoder.task}")
    labels = [str(x) for x in meta["labels"]]
    head = ArticleHead.load(folder, n_types=len(labels))
    hidden = int(getattr(encoder.model.config, "hidden_size", head.weight.shape[1]))
    if head.weight.shape[1] != hidden:
        raise ModelError(f"{folder}: head.safetensors expects hidden size {head.weight.shape[1]}, the encoder "
                         f"in {where} has {hidden}; the folders come from two different runs")
    return LoadedModel("classifier", folder, encoder.model, encoder.tokenizer, labels, encoder.max_tokens,
                       encoder.stride, meta, head=head)


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
        loaded: dict[str, LoadedModel] = {}
        for t in TASKS:  # the tagger first: a shared classifier reuses its encoder
            if t in folders:
                loaded[t] = load_model(folders[t], device=dev, max_length=max_length, stride=stride,
                                       encoder=loaded.get("tagger"))
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

    def _run(
        self, lm: LoadedModel, items: list[dict[str, list[int]]], *, features: bool = False
    ) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """Logits per window item, in the items' order; windows are batched by length.

        With `features`, also each window's `mean_pool`ed last hidden states (for an ArticleHead).
        """
        order = sorted(range(len(items)), key=lambda i: len(items[i]["input_ids"]))
        out: list[np.ndarray] = [np.empty(0)] * len(items)
        pooled: list[np.ndarray] | None = [np.empty(0)] * len(items) if features else None
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
                if pooled is not None:
                    logits_t, states = forward_with_states(lm.model, batch)
                    feats = mean_pool(states.float(), batch["attention_mask"]).cpu().numpy()
                    for row, i in enumerate(idx):
                        pooled[i] = feats[row]
                else:
                    logits_t = lm.model(**batch).logits
                logits = logits_t.float().cpu().numpy()
                for row, i in enumerate(idx):
                    out[i] = logits[row, : len(items[i]["input_ids"])] if logits.ndim == 3 else logits[row]
        return out, pooled

    def _windows(self, lm: LoadedModel, encs: list[Encoding]) -> tuple[list[dict], list[list[tuple[int, int]]]]:
        items: list[dict] = []
        per_doc = []
        for enc in encs:
            windows = split_windows(len(enc), max_tokens=lm.max_tokens, stride=lm.stride)
            per_doc.append(windows)
            items += build_window_inputs(enc, windows, lm.tokenizer)
        return items, per_doc

    def window_features(self, docs: Sequence[Doc]) -> list[np.ndarray]:
        """Per document, the (n_windows, hidden) `mean_pool`ed encoder states an ArticleHead reads.

        Uses the tagger's encoder (or a shared classifier's); training fits the head on these.
        """
        lm = self.tagger or self.classifier
        if lm is None or (lm.task == "classifier" and lm.head is None):
            raise ModelError("window features need a tagger (or a classifier on a shared encoder)")
        encs = encode_texts([d.text for d in docs], lm.tokenizer)
        items, windows = self._windows(lm, encs)
        _, feats = self._run(lm, items, features=True)
        assert feats is not None
        it = iter(feats)
        return [np.stack([next(it) for _ in ws]) for ws in windows]

    def _predict_chunk(self, docs: list[Doc]) -> tuple[list[Doc], int]:
        """Predictions for a chunk of documents, and the number of subtokens read."""
        texts = [d.text for d in docs]
        encodings: dict[str, list[Encoding]] = {}
        for lm in self.models:
            if self._shared_tokens and encodings:
                encodings[lm.task] = next(iter(encodings.values()))
            else:
                encodings[lm.task] = encode_texts(texts, lm.tokenizer)
        tagger, clf = self.tagger, self.classifier
        # A classifier on the tagger's encoder reads the same forward pass as the tagger.
        one_pass = tagger is not None and clf is not None and clf.head is not None and clf.model is tagger.model
        spans_per_doc: list[list] = [[] for _ in docs]
        features: list[np.ndarray] | None = None
        if tagger is not None:
            encs = encodings["tagger"]
            items, windows = self._windows(tagger, encs)
            token_logits, features = self._run(tagger, items, features=one_pass)
            logits = iter(token_logits)
            for k, (enc, ws) in enumerate(zip(encs, windows, strict=True)):
                blocks = [next(logits)[1:-1] for _ in ws]  # drop [CLS]/[SEP] rows
                merged = merge_windows(ws, blocks, len(enc))
                spans_per_doc[k] = logits_to_spans(enc, merged, tagger.labels)
        scores_per_doc: list[dict[str, float] | None] = [None] * len(docs)
        if clf is not None:
            if not one_pass:
                items, windows = self._windows(clf, encodings["classifier"])
                chunk_logits, features = self._run(clf, items, features=clf.head is not None)
            if clf.head is not None:
                assert features is not None
                chunk_logits = list(clf.head(np.stack(features))) if features else []
            logits = iter(chunk_logits)
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
