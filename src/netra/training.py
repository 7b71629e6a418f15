"""Fine-tuning the two netra models (span tagger and article-type classifier) with the HF Trainer.

A run writes `models/<run>/` (models/README.md): `tagger/` and `classifier/` hold the best model by
the dev metric, `last/` the model after the final step, `checkpoints/<task>/` the Trainer
checkpoints that `--resume` continues from, `run.json` the resolved config, metrics and timing, and
`train.log` the loss and dev metrics as training goes.

How the data reach the models:

- Tagger: every article is tokenised once (`netra.encoding`), each tokenizer word gets its BIO tag
  on its first sub-token, and the article is cut into overlapping windows; each window is one
  training row.
- Classifier, `model.classifier_encoder: shared` (the default): a linear `ArticleHead` fitted on
  the frozen encoder of the trained tagger (`fit_article_head`): one encoder then serves both tasks
  at prediction. `own`: a second encoder fine-tuned with the Trainer, one row per article holding
  ALL its windows. Either way every window is scored, the window logits are pooled per article
  (`model.pooling`, mean by default) and the loss is taken on the pooled logits, so training sees
  the article the way prediction does.
- Dev metrics come from `netra.inference.Predictor` run on the in-memory model and scored with
  `netra.evaluate.evaluate_docs`, i.e. character spans and article types, the numbers users see.

Selection: the tagger keeps the checkpoint with the best entity micro-F1 (`ents_f`), an own
classifier the one with the best article-type micro-F1 (`types_micro_f`); a shared head is fitted
once on the best tagger and once on the last. Article-type thresholds are chosen
per type on the dev data (`choose_thresholds`); without separate dev data they stay at 0.5.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    BertConfig,
    DataCollatorForTokenClassification,
    EarlyStoppingCallback,
    PreTrainedModel,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

from netra import __version__
from netra.bio import misaligned_spans
from netra.config import Config, DataConfig, ModelConfig, SourceConfig, TrainingConfig
from netra.convert import read_as
from netra.docs import Doc, atomic_write_text
from netra.encoding import (
    IGNORE_INDEX,
    Encoding,
    build_window_inputs,
    encode_texts,
    pool_logits,
    split_windows,
    subtoken_label_ids,
    word_tags,
)
from netra.evaluate import evaluate_docs
from netra.inference import ArticleHead, LoadedModel, Predictor
from netra.partial import hidden_tags, label_allowed_mask, partial_cross_entropy
from netra.schema import Schema, load_schema
from netra.validate import read_docs

log = logging.getLogger("netra.training")

TASKS = ("tagger", "classifier")
SELECT_BY = {"tagger": "ents_f", "classifier": "types_micro_f"}
DEFAULT_THRESHOLD = 0.5
THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 ... 0.95
RUN_FILES = ("tagger", "classifier", "last", "checkpoints", "run.json", "train.log")


class TrainingError(ValueError):
    """Input that training cannot use; the message names the file or document and the fix."""


# ---------------------------------------------------------------------------------------------
# Data


@dataclass
class TrainingData:
    train: list[Doc]
    dev: list[Doc]
    dev_source: str  # the data.dev file, "held out from ...", or "training data"
    # data.sources: each source's config, documents and (once the tokenizer is known) encodings
    extra: list[tuple[SourceConfig, list[Doc], list[Encoding]]] = field(default_factory=list)

    @property
    def separate_dev(self) -> bool:
        return self.dev_source != "training data"


def read_data(cfg: DataConfig, *, schema: Schema, seed: int) -> TrainingData:
    """Read training (and dev) data with the validator; hold out dev articles when asked.

    Raises:
        netra.validate.InvalidData: a file fails validation (every problem, one per line).
        TrainingError: no training articles, or nothing left to train on after the hold-out.
    """
    train = read_docs(cfg.train, schema=schema)
    if not train:
        raise TrainingError(f"{cfg.train}: no documents to train on")
    if cfg.dev:
        return TrainingData(train, read_docs(cfg.dev, schema=schema), cfg.dev)
    if cfg.dev_fraction > 0:
        n_dev = max(1, round(cfg.dev_fraction * len(train)))
        if n_dev >= len(train):
            raise TrainingError(
                f"{cfg.train}: data.dev_fraction={cfg.dev_fraction} leaves no training article out of "
                f"{len(train)}; lower it, set data.dev_fraction=0, or give data.dev"
            )
        order = sorted(range(len(train)), key=lambda i: train[i].id)
        random.Random(seed).shuffle(order)
        held = set(order[:n_dev])
        return TrainingData(
            [d for i, d in enumerate(train) if i not in held],
            [d for i, d in enumerate(train) if i in held],
            f"held out {n_dev} of {len(train)} articles of {cfg.train} (data.dev_fraction)",
        )
    return TrainingData(train, train, "training data")


def read_source(src: SourceConfig, *, schema: Schema) -> list[Doc]:
    """Read one `data.sources` entry (validated, labels mapped); its `annotated_labels` go to each
    document's meta, where the partial-annotation loss reads them.

    Raises:
        netra.validate.InvalidData: the file fails validation.
        TrainingError: the source cannot be read as configured, or names labels the schema lacks.
    """
    if src.annotated_labels is not None:
        unknown = sorted(set(src.annotated_labels) - set(schema.span_labels))
        if unknown:
            raise TrainingError(f"data.sources {src.path}: annotated_labels {unknown} are not in the label "
                                f"schema {schema.path}")
    if not Path(src.path).exists():
        raise TrainingError(f"data.sources: {src.path} not found (see data/corpora/README.md)")
    try:
        docs = read_as(src.path, src.format, label_map=src.label_map, schema=schema)
    except ValueError as exc:
        if hasattr(exc, "problems"):
            raise  # InvalidData: the validator's messages, one per line
        raise TrainingError(f"data.sources {src.path}: {exc}") from exc
    if not docs:
        raise TrainingError(f"data.sources: {src.path} holds no documents")
    if src.annotated_labels is not None:
        for doc in docs:
            doc.meta["annotated_labels"] = list(src.annotated_labels)
    return docs


def weighted_rows(rows: Sequence[Any], weight: float, *, seed: int) -> list[Any]:
    """Each row `int(weight)` times, plus a fixed random share `weight % 1` of them once more.

    Example::

        len(weighted_rows(list(range(10)), 2.5, seed=0))  # 25
    """
    copies = [row for _ in range(int(weight)) for row in rows]
    extra = round((weight % 1) * len(rows))
    if extra:
        copies += random.Random(seed).sample(list(rows), extra)
    return copies


def check_span_labels(docs: Sequence[Doc], labels: Collection[str], *, source: str) -> None:
    """Refuse spans whose label the tagger is not built for; warn about partly annotated articles.

    Raises:
        TrainingError: one line per offending document, with the fix.
    """
    problems = []
    partial: dict[tuple[str, ...], int] = {}
    for doc in docs:
        unknown = sorted({s.label for s in doc.spans} - set(labels))
        if unknown:
            problems.append(
                f"{source}: id={doc.id}: span label(s) {unknown} are not among the labels the tagger "
                f"learns {sorted(labels)} (add them to data.span_labels, or remove those spans)"
            )
        annotated = doc.annotated_labels
        if annotated is not None and set(labels) - set(annotated):
            partial[tuple(annotated)] = partial.get(tuple(annotated), 0) + 1
    for annotated, n in partial.items():
        # One line per kind of partial annotation: corpora hold thousands of such documents.
        log.info("%s: %d document(s) annotated only for %s; their O words may be %s (partial-annotation loss)",
                 source, n, list(annotated), sorted(set(labels) - set(annotated)))
    if problems:
        raise TrainingError("\n".join(problems))


def warn_misaligned(docs: Sequence[Doc], encodings: Sequence[Encoding]) -> int:
    """Log spans whose edges fall inside a tokenizer word (the tagger can only learn whole words)."""
    n = 0
    for doc, enc in zip(docs, encodings, strict=True):
        for span in misaligned_spans(enc.words, doc.spans):
            n += 1
            log.warning("id=%s: span [%d, %d) %s %r does not start and end on tokenizer word edges",
                        doc.id, span.start, span.end, span.label, span.text_of(doc.text))
    return n


def tagger_rows(
    docs: Sequence[Doc],
    encodings: Sequence[Encoding],
    tokenizer: Any,
    *,
    label2id: Mapping[str, int],
    max_length: int,
    stride: int,
) -> list[dict[str, list[int]]]:
    """One training row per window: input ids and BIO label ids on each word's first sub-token.

    `max_length` counts [CLS] and [SEP]. Windows without any labelled sub-token are dropped (they
    would contribute no loss). `hidden_tags` (one 0/1 per tag) marks the tags an O of the document
    may hide, given its `annotated_labels` (netra.partial); all 0 for a fully annotated document.
    """
    tag_list = sorted(label2id, key=label2id.__getitem__)
    rows = []
    for doc, enc in zip(docs, encodings, strict=True):
        ids = subtoken_label_ids(enc, word_tags(enc, doc.spans), label2id)
        hidden = [int(h) for h in hidden_tags(doc.annotated_labels, tag_list)]
        windows = split_windows(len(enc), max_tokens=max_length - 2, stride=stride)
        rows += [{**r, "hidden_tags": hidden} for r in build_window_inputs(enc, windows, tokenizer, labels=ids)
                 if any(x != IGNORE_INDEX for x in r["labels"])]
    return rows


def classifier_rows(
    docs: Sequence[Doc],
    encodings: Sequence[Encoding],
    tokenizer: Any,
    *,
    types: Sequence[str],
    max_length: int,
    stride: int,
) -> list[dict[str, Any]]:
    """One training row per article with types: all its windows ("chunks") and a 0/1 label per type.

    Articles whose `types` is None (no type annotation) are skipped.
    """
    rows = []
    for doc, enc in zip(docs, encodings, strict=True):
        if doc.types is None:
            continue
        windows = split_windows(len(enc), max_tokens=max_length - 2, stride=stride)
        rows.append({
            "chunks": build_window_inputs(enc, windows, tokenizer),
            "labels": [1.0 if t in doc.types else 0.0 for t in types],
        })
    return rows


class ArticleCollator:
    """Batches whole articles: their windows are stacked and padded, and `article_index` says
    which article each window belongs to."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        chunks, owner = [], []
        for k, row in enumerate(rows):
            chunks += row["chunks"]
            owner += [k] * len(row["chunks"])
        batch = dict(self.tokenizer.pad(chunks, return_tensors="pt"))
        batch["article_index"] = torch.tensor(owner, dtype=torch.long)
        batch["labels"] = torch.tensor([row["labels"] for row in rows], dtype=torch.float32)
        return batch


def pool_articles(chunk_logits: torch.Tensor, article_index: torch.Tensor, n_articles: int, how: str) -> torch.Tensor:
    """(n_chunks, n_types) window logits -> (n_articles, n_types), pooled per article.

    Uses `netra.encoding.pool_logits`, the same pooling prediction applies, so gradients flow
    through exactly the decision the classifier makes at prediction time.
    """
    return torch.stack([pool_logits(chunk_logits[article_index == k], how) for k in range(n_articles)])


# ---------------------------------------------------------------------------------------------
# Thresholds


def choose_thresholds(
    probs: Sequence[Mapping[str, float]],
    gold: Sequence[Collection[str]],
    *,
    grid: Sequence[float] = THRESHOLD_GRID,
) -> dict[str, float]:
    """Per-type decision thresholds that maximise each type's F1 over the given articles.

    Args:
        probs: per article, the probability of each type (`Doc.type_scores`).
        gold: per article, its gold types.
        grid: candidate thresholds.

    Returns:
        {type: threshold}. Several thresholds often score the same on a small dev set; the middle
        one of the best is taken, as the one farthest from flipping a decision. A type with no
        gold article keeps 0.5: the dev data say nothing about its recall.

    Example::

        choose_thresholds([{"pledge": 0.3}, {"pledge": 0.1}], [["pledge"], []], grid=[0.2, 0.5])
        # {'pledge': 0.2}
    """
    if len(probs) != len(gold):
        raise ValueError(f"{len(probs)} probability rows but {len(gold)} gold rows")
    types = sorted({t for row in probs for t in row})
    out = {}
    for t in types:
        y = np.array([t in g for g in gold])
        p = np.array([row.get(t, 0.0) for row in probs])
        if not y.any():
            out[t] = DEFAULT_THRESHOLD
            continue
        f1 = []
        for th in grid:
            pred = p >= th
            tp = int((pred & y).sum())
            f1.append(2 * tp / (pred.sum() + y.sum()))
        best = [th for th, f in zip(grid, f1, strict=True) if f == max(f1)]
        out[t] = float(best[(len(best) - 1) // 2])
    return out


# ---------------------------------------------------------------------------------------------
# Models


class ModelLoadError(OSError):
    """A model or tokenizer that cannot be loaded; the message says how to supply it."""


def _looks_local(name: str) -> bool:
    # A hub id is "name" or "owner/name"; anything else is meant as a folder.
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep != "/" and os.sep in name


def load_pretrained(loader: Callable[..., Any], name: str, *, what: str, **kwargs: Any) -> Any:
    """Call `loader(name, **kwargs)` (a `from_pretrained`), turning "not found" into advice.

    Raises:
        ModelLoadError: the folder does not exist or the hub model is not in the local cache.
    """
    how = (
        f"supply it as (1) a local folder: set model.name_or_path (or model.tokenizer) to the folder "
        f"that holds config.json and the weights; or (2) download it once while online into the "
        f"Hugging Face cache (`huggingface-cli download {name}`) and then run with HF_HUB_OFFLINE=1; "
        f"or (3) for a test without pretrained weights use model.init=random (configs/tiny.yaml). "
        f"netra never falls back to another model"
    )
    if _looks_local(name) and not Path(name).expanduser().exists():
        raise ModelLoadError(f"{what} '{name}' not found: no such folder; {how}")
    try:
        return loader(name, **kwargs)
    except (OSError, ValueError) as exc:  # ValueError: a folder without usable tokenizer files
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"cannot load {what} '{name}' ({reason}); {how}") from exc


def load_tokenizer(cfg: ModelConfig) -> Any:
    """The fast tokenizer of `model.tokenizer` (default: `model.name_or_path`)."""
    return load_pretrained(AutoTokenizer.from_pretrained, cfg.tokenizer or cfg.name_or_path, what="tokenizer")


def random_bert_config(cfg: ModelConfig, tokenizer: Any, **head: Any) -> BertConfig:
    """The BERT config of `model.init: random`: the configured sizes over the tokenizer's vocabulary."""
    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        intermediate_size=cfg.intermediate_size or 4 * cfg.hidden_size,
        max_position_embeddings=cfg.max_position_embeddings,
        hidden_dropout_prob=cfg.dropout,
        attention_probs_dropout_prob=cfg.dropout,
        pad_token_id=tokenizer.pad_token_id or 0,
        **head,
    )


def build_model(cfg: ModelConfig, *, task: str, labels: Sequence[str], tokenizer: Any) -> PreTrainedModel:
    """A token-classification (tagger) or multi-label sequence-classification (classifier) model.

    `model.init: random` builds a BERT of the configured sizes over the tokenizer's vocabulary;
    `pretrained` loads `model.name_or_path` and puts a fresh head with `labels` on it.

    Raises:
        ModelLoadError: the model cannot be found.
        TrainingError: the tokenizer does not fit the model, or `model.max_length` is above the
            model's number of positions.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    head: dict[str, Any] = {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {x: i for i, x in enumerate(labels)},
    }
    if task == "classifier":
        head["problem_type"] = "multi_label_classification"
    auto = AutoModelForTokenClassification if task == "tagger" else AutoModelForSequenceClassification
    if cfg.init == "random":
        config = random_bert_config(cfg, tokenizer, **head)
        model = auto.from_config(config)
    else:
        # A checkpoint with another head (e.g. a netra tagger with other labels) gets a new one.
        model = load_pretrained(auto.from_pretrained, cfg.name_or_path, what="model",
                                ignore_mismatched_sizes=True, **head)
    vocab = model.config.vocab_size
    if len(tokenizer) > vocab:
        raise TrainingError(
            f"tokenizer {tokenizer.name_or_path} has {len(tokenizer)} entries but model "
            f"{cfg.name_or_path} only {vocab} embeddings; use the model's own tokenizer (model.tokenizer=null)"
        )
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit is not None and cfg.max_length > limit:
        raise TrainingError(
            f"model.max_length = {cfg.max_length} is above the {limit} positions of model "
            f"{cfg.name_or_path}; set model.max_length={limit} or less (long articles are read in "
            f"overlapping windows anyway)"
        )
    return model


def resolve_precision(precision: str, *, cuda: bool | None = None) -> str:
    """'auto' -> 'bf16' on a CUDA GPU that supports it, else 'fp32'.

    On CPU, 'auto' stays fp32: on this project's 2-core AVX512-BF16 CPUs (no AMX), bf16 autocast
    made a training step of the tiny and of a 768-wide BERT only about 10-25% faster, too little
    to change the numerics by default (models/README.md); ask for bf16 explicitly to use it.
    """
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be auto, fp32 or bf16, got {precision!r}")
    cuda = torch.cuda.is_available() if cuda is None else cuda
    if precision == "auto":
        return "bf16" if cuda and torch.cuda.is_bf16_supported() else "fp32"
    return precision


# ---------------------------------------------------------------------------------------------
# Trainer


def device_arguments() -> dict[str, Any]:
    """The TrainingArguments that place training on this machine (fine-tuning and `netra pretrain`).

    Without CUDA, accelerate only sets up multi-process (torchrun) training, or bf16 autocast, when
    told it is on CPU; gloo is the CPU collective backend that ships with every torch build. (A
    backend given to a single process would make accelerate look for a process group that does not
    exist.)
    """
    cpu = not torch.cuda.is_available()
    several = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return {"use_cpu": cpu, "ddp_backend": "gloo" if cpu and several else None}


def training_arguments(t: TrainingConfig, *, output_dir: str | Path, task: str) -> TrainingArguments:
    """HF TrainingArguments for one task, built from the netra training config."""
    strategy = "steps" if t.eval_every else "epoch"
    return TrainingArguments(
        **device_arguments(),
        output_dir=str(output_dir),
        num_train_epochs=(t.classifier_epochs or t.epochs) if task == "classifier" else t.epochs,
        per_device_train_batch_size=t.batch_size if task == "tagger" else t.classifier_batch_size,
        # Tagger windows range from a short corpus sentence to a full window: batching similar
        # lengths saves the padding (several times faster on seeds + corpora).
        train_sampling_strategy="group_by_length" if task == "tagger" else "random",
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=(t.classifier_learning_rate or t.learning_rate) if task == "classifier" else t.learning_rate,
        weight_decay=t.weight_decay,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a fraction of all steps
        eval_strategy=strategy,
        save_strategy=strategy,
        eval_steps=t.eval_every or None,
        save_steps=t.eval_every or 500,
        save_total_limit=t.save_total_limit,
        # The Trainer tracks (and never deletes) the best checkpoint by this metric; train_task
        # loads it after training itself, because load_best_model_at_end would replace the
        # in-memory last model and, with save_total_limit=1, delete the last checkpoint.
        metric_for_best_model=SELECT_BY[task],
        greater_is_better=True,
        logging_strategy="steps",
        logging_steps=t.logging_steps,
        seed=t.seed,
        data_seed=t.seed,
        bf16=resolve_precision(t.precision) == "bf16",
        remove_unused_columns=False,  # rows carry exactly what the collators need
        report_to=[],
        push_to_hub=False,
        disable_tqdm=False,
        dataloader_num_workers=0,
    )


class DevEvalTrainer(Trainer):
    """A Trainer whose evaluation runs `dev_metrics(model)` (predictions scored as users see them)
    instead of a loss over eval batches."""

    def __init__(self, *args: Any, dev_metrics: Callable[[PreTrainedModel], dict[str, float]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.dev_metrics = dev_metrics

    def evaluate(self, eval_dataset: Any = None, ignore_keys: Any = None, metric_key_prefix: str = "eval") -> dict:
        self.model.eval()
        with torch.no_grad():
            values = self.dev_metrics(self.model)
        metrics = {f"{metric_key_prefix}_{k}": float(v) for k, v in values.items()}
        metrics["epoch"] = float(self.state.epoch or 0.0)
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


class PartialTaggerTrainer(DevEvalTrainer):
    """Token loss that lets an O of a partially annotated source be any tag it cannot rule out
    (netra.partial); on fully annotated rows it is the ordinary cross-entropy."""

    def __init__(self, *args: Any, o_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.o_id = o_id
        self.model_accepts_loss_kwargs = False  # a mean per batch, as the model's own loss

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        labels = inputs.pop("labels")  # (B, T)
        hidden = inputs.pop("hidden_tags")  # (B, n_tags)
        outputs = model(**inputs)
        loss = partial_cross_entropy(outputs.logits, label_allowed_mask(labels, hidden, o_id=self.o_id))
        return (loss, outputs) if return_outputs else loss


class PooledClassifierTrainer(DevEvalTrainer):
    """Multi-label loss on article logits pooled over the article's windows (see the module doc)."""

    def __init__(self, *args: Any, pooling: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pooling = pooling
        # The loss below is a mean over articles; let Trainer scale it for gradient accumulation.
        self.model_accepts_loss_kwargs = False

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        labels = inputs.pop("labels")  # (B, T)
        owner = inputs.pop("article_index")  # (C,)
        outputs = model(**inputs)
        pooled = pool_articles(outputs.logits.float(), owner, labels.shape[0], self.pooling)  # (B, T)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(pooled, labels)
        return (loss, outputs) if return_outputs else loss


class LogCallback(TrainerCallback):
    """Writes every Trainer log (loss, learning rate, dev metrics) to the netra log."""

    def __init__(self, task: str):
        self.task = task

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if state.is_world_process_zero and logs:
            log.info("%s step %d: %s", self.task, state.global_step, json.dumps(logs, sort_keys=True))


def last_complete_checkpoint(folder: str | Path) -> Path | None:
    """The highest-numbered `checkpoint-N` in `folder` whose trainer_state.json was written.

    The Trainer writes trainer_state.json after the weights and optimizer, so a checkpoint
    without it was cut off mid-save (a killed run) and cannot be resumed from.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return None
    done = [p for p in folder.glob("checkpoint-*")
            if p.name.split("-", 1)[1].isdigit() and (p / "trainer_state.json").is_file()]
    return max(done, key=lambda p: int(p.name.split("-", 1)[1]), default=None)


# ---------------------------------------------------------------------------------------------
# Prediction on dev data and saving


def predictor_for(model: PreTrainedModel, tokenizer: Any, *, task: str, labels: Sequence[str], cfg: ModelConfig,
                  thresholds: Mapping[str, float] | None = None, batch_size: int = 8) -> Predictor:
    """A netra Predictor around an in-memory model, exactly as prediction will run it."""
    meta = {"pooling": cfg.pooling, "thresholds": dict(thresholds or {})}
    loaded = LoadedModel(task, Path("."), model, tokenizer, list(labels), cfg.max_length - 2, cfg.stride, meta)
    device = next(model.parameters()).device
    return Predictor(tagger=loaded if task == "tagger" else None,
                     classifier=loaded if task == "classifier" else None,
                     device=device, precision="fp32", batch_size=batch_size)


def dev_predictions(model: PreTrainedModel, tokenizer: Any, docs: Sequence[Doc], *, task: str,
                    labels: Sequence[str], cfg: ModelConfig, thresholds: Mapping[str, float] | None = None,
                    batch_size: int = 8) -> list[Doc]:
    was_training = model.training
    model.eval()
    predictor = predictor_for(model, tokenizer, task=task, labels=labels, cfg=cfg, thresholds=thresholds,
                              batch_size=batch_size)
    out = list(predictor.predict_docs(docs))
    model.train(was_training)
    return out


def task_metrics(task: str, gold: Sequence[Doc], pred: Sequence[Doc], *, schema: Schema) -> dict[str, Any]:
    """The evaluator's metrics that concern one model: entity/span keys or article-type keys."""
    metrics = evaluate_docs(list(gold), list(pred), schema=schema)
    prefixes = ("ents_", "spans_") if task == "tagger" else ("types_",)
    return {k: v for k, v in metrics.items() if k.startswith(prefixes)}


def save_model_dir(folder: Path, model: PreTrainedModel, tokenizer: Any, meta: dict[str, Any]) -> None:
    """Write a standard HF folder plus netra.json, replacing `folder` only once all is written."""

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    replace_folder(folder, write, meta)


def replace_folder(folder: Path, write: Callable[[Path], None], meta: dict[str, Any]) -> None:
    """Fill a temporary folder with `write` and netra.json, then swap it in for `folder`."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    write(tmp)
    atomic_write_text(tmp / "netra.json", json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The run


def is_main_process() -> bool:
    """True in a single process, and in rank 0 of a torchrun / accelerate launch."""
    return int(os.environ.get("RANK", "0")) == 0


def prepare_run_dir(run_dir: Path, *, resume: bool, overwrite: bool, config: Config) -> None:
    """Refuse to clobber an earlier run unless told; on --resume, insist on the same config."""
    existing = [name for name in RUN_FILES if (run_dir / name).exists()]
    if resume:
        saved = run_dir / "run.json"
        if not saved.is_file():
            raise TrainingError(f"{run_dir}: nothing to resume (no run.json); start the run without --resume")
        before = json.loads(saved.read_text(encoding="utf-8")).get("config")
        now = config.to_dict()
        changed = sorted(f"{s}.{k}" for s in now for k in now[s]
                         if (before or {}).get(s, {}).get(k) != now[s][k])
        if changed:
            raise TrainingError(
                f"{saved}: --resume needs the config the run started with; these differ: {changed} "
                f"(pass the same config and overrides, or start a new run in another training.output_dir)"
            )
        return
    if existing and not overwrite:
        raise TrainingError(
            f"{run_dir} already holds a run ({', '.join(existing)}); continue it with --resume, replace it "
            f"with --overwrite, or choose another folder with training.output_dir=models/<name>"
        )
    for name in existing:
        path = run_dir / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def _attach_log_file(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def _write_run_json(run_dir: Path, summary: dict[str, Any]) -> None:
    if is_main_process():
        atomic_write_text(run_dir / "run.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def run_training(cfg: Config, *, resume: bool = False, overwrite: bool = False) -> dict[str, Any]:
    """Train the configured tasks and write `cfg.training.output_dir` (see the module docstring).

    Example::

        summary = run_training(load_config("configs/tiny.yaml", ["training.epochs=1"]))
        summary["tasks"]["tagger"]["metrics"]["best"]["ents_f"]

    Returns:
        The run summary, as written to run.json.
    """
    started = time.time()
    run_dir = Path(cfg.training.output_dir)
    if is_main_process():
        prepare_run_dir(run_dir, resume=resume, overwrite=overwrite, config=cfg)
        handler = _attach_log_file(run_dir / "train.log")
    try:
        # Data: validated netra JSONL, labels checked against what the models learn.
        set_seed(cfg.training.seed)
        schema = load_schema(cfg.data.schema)
        data = read_data(cfg.data, schema=schema, seed=cfg.training.seed)
        span_labels = list(cfg.data.span_labels or schema.span_labels)
        unknown = sorted(set(span_labels) - set(schema.span_labels))
        if unknown:
            raise TrainingError(f"data.span_labels: {unknown} are not in the label schema {schema.path}")
        check_span_labels(data.train, span_labels, source=cfg.data.train)
        if data.separate_dev:
            check_span_labels(data.dev, span_labels, source=cfg.data.dev or cfg.data.train)
        sources = [(src, read_source(src, schema=schema)) for src in cfg.data.sources]
        for src, docs in sources:
            check_span_labels(docs, span_labels, source=src.path)
        if cfg.pretrain.text and cfg.model.init == "pretrained":
            from netra.pretrain import ensure_pretrained  # imports training: keep it out of module import

            ensure_pretrained(cfg)  # configs/offline.yaml: build the encoder on first use
        tokenizer = load_tokenizer(cfg.model)
        encodings = encode_texts([d.text for d in data.train], tokenizer)  # fails early on a slow tokenizer
        warn_misaligned(data.train, encodings)
        data.extra = [(src, docs, encode_texts([d.text for d in docs], tokenizer)) for src, docs in sources]
        for src, docs, _ in data.extra:
            log.info("extra source %s: %d document(s), weight %s", src.path, len(docs), src.weight)
        log.info("training on %d article(s), %d sub-tokens; dev: %d article(s) from %s",
                 len(data.train), sum(len(e) for e in encodings), len(data.dev), data.dev_source)

        summary: dict[str, Any] = {
            "netra_version": __version__,
            "config": cfg.to_dict(),
            "status": "running",
            "data": {"train": cfg.data.train, "n_train": len(data.train), "dev": data.dev_source,
                     "n_dev": len(data.dev),
                     "sources": [{"path": s.path, "n_docs": len(d), "weight": s.weight} for s, d, _ in data.extra]},
            "precision": resolve_precision(cfg.training.precision),
            "world_size": int(os.environ.get("WORLD_SIZE", "1")),
            "selected_by": {t: SELECT_BY[t] for t in cfg.training.tasks},
            "tasks": {},
        }
        if resume and (run_dir / "run.json").is_file():
            summary["tasks"] = json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("tasks", {})
        _write_run_json(run_dir, summary)

        for task in sorted(cfg.training.tasks, key=TASKS.index):  # the tagger first: a shared classifier reads it
            if resume and task in summary["tasks"] and (run_dir / task / "netra.json").is_file():
                log.info("%s: already finished in %s; skipping", task, run_dir / task)
                continue
            if task == "classifier" and cfg.model.classifier_encoder == "shared":
                if not is_main_process():
                    continue  # the head is fitted once, by rank 0, on the saved tagger
                summary["tasks"][task] = train_shared_classifier(cfg=cfg, schema=schema, data=data, run_dir=run_dir)
            else:
                summary["tasks"][task] = train_task(
                    task, cfg=cfg, schema=schema, data=data, tokenizer=tokenizer, encodings=encodings,
                    span_labels=span_labels, run_dir=run_dir, resume=resume,
                )
            _write_run_json(run_dir, summary)

        summary["status"] = "done"
        summary["seconds"] = round(time.time() - started, 1)
        _write_run_json(run_dir, summary)
        return summary
    finally:
        if is_main_process():
            log.removeHandler(handler)
            handler.close()


def train_task(
    task: str,
    *,
    cfg: Config,
    schema: Schema,
    data: TrainingData,
    tokenizer: Any,
    encodings: Sequence[Encoding],
    span_labels: Sequence[str],
    run_dir: Path,
    resume: bool,
) -> dict[str, Any]:
    """Build, train, evaluate and save one model (tagger or classifier); returns its summary."""
    started = time.time()
    m = cfg.model
    labels = schema.bio_tags(list(span_labels)) if task == "tagger" else list(schema.article_types)
    set_seed(cfg.training.seed)  # the same initial weights whatever ran before
    model = build_model(m, task=task, labels=labels, tokenizer=tokenizer)

    # data.train and each extra source, each repeated by its weight (data.train_weight, sources[].weight)
    parts = [(data.train, encodings, cfg.data.train_weight)] + [(d, e, s.weight) for s, d, e in data.extra]
    rows = []
    for k, (docs, encs, weight) in enumerate(parts):
        if task == "tagger":
            part = tagger_rows(docs, encs, tokenizer, label2id=model.config.label2id,
                               max_length=m.max_length, stride=m.stride)
        else:
            part = classifier_rows(docs, encs, tokenizer, types=labels, max_length=m.max_length, stride=m.stride)
        rows += weighted_rows(part, weight, seed=cfg.training.seed + k)
    collator: Any = DataCollatorForTokenClassification(tokenizer) if task == "tagger" else ArticleCollator(tokenizer)
    if not rows:
        raise TrainingError(f"{cfg.data.train}: nothing to train the {task} on "
                            f"({'no article has types' if task == 'classifier' else 'no words'})")
    dev = [d for d in data.dev if task == "tagger" or d.types is not None]

    def dev_metrics(current: PreTrainedModel) -> dict[str, float]:
        pred = dev_predictions(current, tokenizer, dev, task=task, labels=labels, cfg=m)
        scores = task_metrics(task, dev, pred, schema=schema)
        return {k: v for k, v in scores.items() if isinstance(v, (int, float))}

    ckpt_dir = run_dir / "checkpoints" / task
    args = training_arguments(cfg.training, output_dir=ckpt_dir, task=task)
    callbacks: list[TrainerCallback] = [LogCallback(task)]
    if cfg.training.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.training.early_stopping_patience))
    common = dict(model=model, args=args, train_dataset=rows, eval_dataset=dev, data_collator=collator,
                  processing_class=tokenizer, callbacks=callbacks, dev_metrics=dev_metrics)
    trainer = (PartialTaggerTrainer(**common, o_id=model.config.label2id["O"]) if task == "tagger"
               else PooledClassifierTrainer(**common, pooling=m.pooling))
    checkpoint = last_complete_checkpoint(ckpt_dir) if resume else None
    if checkpoint:
        log.info("%s: resuming from %s", task, checkpoint)
    log.info("%s: %d training rows, %s", task, len(rows), f"{len(labels)} labels")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)

    state = trainer.state
    result: dict[str, Any] = {
        "selected_by": SELECT_BY[task],
        "best_step": state.best_global_step,
        "best_checkpoint_metric": state.best_metric,
        "global_step": state.global_step,
        "max_steps": state.max_steps,
        "n_rows": len(rows),
        "metrics": {},
    }
    if trainer.is_world_process_zero():
        # In memory: the model after the last step. The best one is read back from its checkpoint.
        best_ckpt = state.best_model_checkpoint
        best = type(trainer.model).from_pretrained(best_ckpt).to(trainer.model.device) if best_ckpt else trainer.model
        candidates = {"best": (best, run_dir / task, state.best_global_step or state.global_step),
                      "last": (trainer.model, run_dir / "last" / task, state.global_step)}
        for which, (model_, folder, step) in candidates.items():
            result["metrics"][which] = save_with_meta(
                folder, model_, tokenizer, task=task, which=which, labels=labels, cfg=cfg, schema=schema,
                data=data, dev=dev, step=step,
            )
    result["seconds"] = round(time.time() - started, 1)
    return result


def model_meta(task: str, labels: Sequence[str], *, cfg: Config, schema: Schema, selected_by: str) -> dict[str, Any]:
    """The netra.json fields every saved model folder has (models/README.md)."""
    return {
        "task": task,
        "netra_version": __version__,
        "labels": list(labels),
        "schema": schema.to_dict(),
        "config": cfg.to_dict(),
        "selected_by": selected_by,
        "max_length": cfg.model.max_length,
        "stride": cfg.model.stride,
    }


def save_with_meta(
    folder: Path,
    model: PreTrainedModel,
    tokenizer: Any,
    *,
    task: str,
    which: str,
    labels: Sequence[str],
    cfg: Config,
    schema: Schema,
    data: TrainingData,
    dev: Sequence[Doc],
    step: int | None,
) -> dict[str, Any]:
    """Choose thresholds (classifier), score the model on dev, and save it with its netra.json."""
    m = cfg.model
    meta = model_meta(task, labels, cfg=cfg, schema=schema, selected_by=SELECT_BY[task] if which == "best" else "last")
    thresholds = None
    if task == "classifier":
        thresholds = dict.fromkeys(labels, DEFAULT_THRESHOLD)
        if data.separate_dev and dev:
            scored = dev_predictions(model, tokenizer, dev, task=task, labels=labels, cfg=m)
            thresholds.update(choose_thresholds([d.type_scores or {} for d in scored], [d.types or [] for d in dev]))
        meta["thresholds"] = thresholds
        meta["pooling"] = m.pooling
    pred = dev_predictions(model, tokenizer, dev, task=task, labels=labels, cfg=m, thresholds=thresholds)
    metrics = task_metrics(task, dev, pred, schema=schema)
    metrics.update(step=step, dev=data.dev_source)
    meta["metrics"] = metrics
    save_model_dir(folder, model, tokenizer, meta)
    log.info("%s (%s, step %s): %s = %.4f on %s; saved to %s", task, which, step, SELECT_BY[task],
             metrics[SELECT_BY[task]], data.dev_source, folder)
    return metrics


# ---------------------------------------------------------------------------------------------
# The classifier on the tagger's encoder (model.classifier_encoder: shared)


def fit_article_head(
    features: Sequence[np.ndarray],
    targets: np.ndarray,
    *,
    pooling: str,
    steps: int,
    l2: float,
    learning_rate: float = 0.05,
) -> ArticleHead:
    """Multi-label logistic regression of article types on frozen window features.

    Each article's window logits (`W x + b` per window) are pooled as at prediction
    (`pool_articles`), and the binary cross-entropy of the pooled logits plus `l2 * |W|^2` is
    minimised by full-batch Adam from zero weights (deterministic). Features are standardised
    for the fit; the returned head takes raw features (the scaling is folded into W and b).

    Args:
        features: per article, its (n_windows, hidden) features (`Predictor.window_features`).
        targets: (n_articles, n_types) 0/1.
    """
    stacked = np.concatenate(features).astype(np.float64)
    mu, sd = stacked.mean(axis=0), stacked.std(axis=0) + 1e-6
    x = torch.from_numpy(((stacked - mu) / sd).astype(np.float32))
    owner = torch.cat([torch.full((len(f),), k, dtype=torch.long) for k, f in enumerate(features)])
    y = torch.from_numpy(np.asarray(targets, dtype=np.float32))
    weight = torch.zeros(y.shape[1], x.shape[1], requires_grad=True)
    bias = torch.zeros(y.shape[1], requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=learning_rate)
    for _ in range(steps):
        opt.zero_grad()
        pooled = pool_articles(x @ weight.T + bias, owner, len(features), pooling)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(pooled, y) + l2 * weight.pow(2).sum()
        loss.backward()
        opt.step()
    w = weight.detach().double().numpy() / sd
    b = bias.detach().double().numpy() - w @ mu
    return ArticleHead(w.astype(np.float32), b.astype(np.float32))


def train_shared_classifier(*, cfg: Config, schema: Schema, data: TrainingData, run_dir: Path) -> dict[str, Any]:
    """Fit the article-type head on the saved best and last taggers' encoders; save classifier/."""
    started = time.time()
    m, t = cfg.model, cfg.training
    types = list(schema.article_types)
    train_docs = [d for d in data.train if d.types is not None]
    train_docs += [d for _, docs, _ in data.extra for d in docs if d.types is not None]
    if not train_docs:
        raise TrainingError(f"{cfg.data.train}: nothing to train the classifier on (no article has types)")
    dev = [d for d in data.dev if d.types is not None]
    targets = np.array([[1.0 if x in (d.types or []) else 0.0 for x in types] for d in train_docs], dtype=np.float32)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    result: dict[str, Any] = {"selected_by": "the tagger's encoder (best and last)", "encoder": "shared",
                              "n_rows": len(train_docs), "steps": t.classifier_head_steps, "metrics": {}}
    for which, sub in (("best", run_dir), ("last", run_dir / "last")):
        tagger_predictor = Predictor.from_dir(sub / "tagger", device=device, precision="fp32")
        encoder = tagger_predictor.tagger
        assert encoder is not None
        features = tagger_predictor.window_features(train_docs)
        set_seed(t.seed)
        head = fit_article_head(features, targets, pooling=m.pooling, steps=t.classifier_head_steps,
                                l2=t.classifier_head_l2)
        meta = model_meta("classifier", types, cfg=cfg, schema=schema,
                          selected_by=result["selected_by"] if which == "best" else "last")
        meta.update(encoder={"shared_with": "../tagger"}, pooling=m.pooling,
                    head="linear on the mean of the encoder's last hidden states over a window's text sub-tokens")
        clf = LoadedModel("classifier", sub / "classifier", encoder.model, encoder.tokenizer, types,
                          encoder.max_tokens, encoder.stride, meta, head=head)
        predictor = Predictor(tagger=None, classifier=clf, device=encoder.model.device, precision="fp32")
        thresholds = dict.fromkeys(types, DEFAULT_THRESHOLD)
        if data.separate_dev and dev:
            clf.meta["thresholds"] = thresholds
            scored = list(predictor.predict_docs(dev))
            thresholds.update(choose_thresholds([d.type_scores or {} for d in scored], [d.types or [] for d in dev]))
        clf.meta["thresholds"] = thresholds
        metrics = task_metrics("classifier", dev, list(predictor.predict_docs(dev)), schema=schema)
        metrics.update(step=None, dev=data.dev_source)
        clf.meta["metrics"] = metrics
        replace_folder(sub / "classifier", head.save, clf.meta)
        result["metrics"][which] = metrics
        log.info("classifier head on the %s tagger's encoder: types_micro_f = %.4f on %s; saved to %s", which,
                 metrics.get("types_micro_f", float("nan")), data.dev_source, sub / "classifier")
    result["seconds"] = round(time.time() - started, 1)
    return result
