"""`netra pretrain`: continued masked-language-model training of an encoder on raw Indonesian text.

Domain adaptation for IndoBERT users (unlabelled news articles in, an adapted encoder out), and
the way the offline configs get a pre-trained small encoder instead of a random one. The result is
an ordinary Hugging Face folder (`save_pretrained` weights, config and the same tokenizer) that
`train.py` takes as `model.name_or_path` with `model.init: pretrained`.

How text becomes training rows:

- Text comes from plain text files (one document per file), netra JSONL (each document's text,
  read with the validator) and CoNLL files (each sentence's tokens joined with spaces; tags are not
  read). `sniff_format` tells them apart.
- Every text is tokenised once (`netra.encoding.encode_texts`, so word boundaries are the fast
  tokenizer's words), and `pack_blocks` packs consecutive texts into blocks of at most
  `max_length` positions, `[CLS] text [SEP] text [SEP] ...`, cutting a long text where it must.
  Packing keeps short CoNLL sentences from wasting most of each row on padding.
- `WholeWordMaskCollator` masks whole words: a word is chosen with probability `mlm_probability`
  and all its sub-tokens are predicted together (80% [MASK], 10% a random token, 10% unchanged).
- With `init_embeddings: cooccurrence` a fresh encoder's input embeddings (tied to the MLM decoder)
  first get count-based vectors of the same text (`cooccurrence_vectors`: positive PMI of sub-token
  co-occurrences, truncated SVD), the way static word vectors start a model; the MLM steps go on
  from there. On a CPU this costs about half a minute, where MLM buys little per minute.

Example::

    netra pretrain --init random --text seeds/*.txt data/corpora/nergrit/train_preprocess.txt \\
        --out models/pretrained-small --steps 2000
    netra pretrain --model indobenchmark/indobert-base-p1 --text my_articles.jsonl --out models/indobert-dapt
    netra pretrain --config configs/offline.yaml     # builds model.name_or_path from its pretrain section
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer, Trainer, TrainingArguments, set_seed

from netra import __version__
from netra.config import Config, ConfigError, ModelConfig, PretrainConfig, load_config
from netra.encoding import IGNORE_INDEX, Encoding, encode_texts, split_windows
from netra.training import device_arguments, load_pretrained, random_bert_config, resolve_precision
from netra.validate import read_docs

log = logging.getLogger("netra.pretrain")

DEFAULT_TOKENIZER = "data/tokenizers/indobert-base-p1"
_TAG = re.compile(r"^(O|[BIES]-\S+)$")


class PretrainError(ValueError):
    """Input `netra pretrain` cannot use; the message names the file or option and the fix."""


# ---------------------------------------------------------------------------------------------
# Reading text


def expand_paths(patterns: Sequence[str]) -> list[Path]:
    """Files named by `patterns` (paths or glob patterns), in order, each once.

    Raises:
        PretrainError: a pattern matches no file.
    """
    out: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        files = [Path(m) for m in matches if Path(m).is_file()]
        if not files:
            raise PretrainError(f"{pattern}: no such file (give text, netra JSONL or CoNLL files)")
        out += [f for f in files if f not in out]
    return out


def sniff_format(path: Path, *, sample: int = 50) -> str:
    """'jsonl' (netra JSONL), 'conll' (a token and a BIO tag per line) or 'text'.

    CoNLL files often end in .txt, so the content decides: a file whose first non-blank lines all
    have at least two columns with a BIO tag (or O) last is CoNLL.
    """
    if path.suffix.lower() == ".jsonl":
        return "jsonl"
    lines = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip() and not line.startswith("-DOCSTART-"):
                lines.append(line.split())
                if len(lines) == sample:
                    break
    if lines and all(len(cols) >= 2 and _TAG.match(cols[-1]) for cols in lines):
        return "conll"
    return "text"


def conll_sentences(path: Path) -> list[str]:
    """The sentences of a CoNLL file as text: first-column tokens joined with spaces.

    Only the token column matters for language modelling, so tags are neither read nor checked
    (train on the file through `netra.convert.read_as` to have them validated).
    """
    sentences, tokens = [], []
    with path.open(encoding="utf-8") as f:
        for line in f:
            cols = line.split("\t") if "\t" in line else line.split()
            cols = [c.strip() for c in cols]
            if not cols or not cols[0]:
                if tokens:
                    sentences.append(" ".join(tokens))
                tokens = []
            elif cols[0] != "-DOCSTART-":
                tokens.append(cols[0])
    if tokens:
        sentences.append(" ".join(tokens))
    return sentences


def read_texts(paths: Iterable[Path]) -> list[str]:
    """Every text in `paths`, in order (see `sniff_format` for how each file is read).

    Raises:
        netra.validate.InvalidData: a netra JSONL file fails validation.
    """
    texts: list[str] = []
    for path in paths:
        kind = sniff_format(path)
        if kind == "jsonl":
            texts += [d.text for d in read_docs(path)]
        elif kind == "conll":
            texts += conll_sentences(path)
        else:
            texts.append(path.read_text(encoding="utf-8").replace("\r\n", "\n"))
    return [t for t in texts if t.strip()]


# ---------------------------------------------------------------------------------------------
# Blocks and whole-word masking (pure)


@dataclass(frozen=True)
class Block:
    """One MLM training row: `[CLS] piece [SEP] piece [SEP] ...`.

    `word_ids` numbers the words of the block (0, 1, ...); special tokens have -1.
    """

    input_ids: list[int]
    word_ids: list[int]


def pack_blocks(
    encodings: Sequence[Encoding], *, max_length: int, cls_id: int, sep_id: int
) -> list[Block]:
    """Pack tokenised texts, in order, into blocks of at most `max_length` positions.

    A text longer than a block is cut into pieces of `max_length - 2` sub-tokens; a piece that does
    not fit in the current block starts the next one. A word cut between two pieces counts as a
    word in each.

    Example::

        pack_blocks(encs, max_length=128, cls_id=tok.cls_token_id, sep_id=tok.sep_token_id)
    """
    if max_length < 3:
        raise ValueError(f"max_length must be at least 3 ([CLS] x [SEP]), got {max_length}")
    blocks: list[Block] = []
    ids: list[int] = [cls_id]
    words: list[int] = [-1]

    def close() -> None:
        nonlocal ids, words
        if len(ids) > 1:
            blocks.append(Block(ids, words))
        ids, words = [cls_id], [-1]

    for enc in encodings:
        for start, end in split_windows(len(enc), max_tokens=max_length - 2, stride=0):
            if start == end:
                continue
            if len(ids) + (end - start) + 1 > max_length:
                close()
            base = max(words) + 1
            first = enc.word_ids[start]
            ids += [*enc.input_ids[start:end], sep_id]
            words += [base + w - first for w in enc.word_ids[start:end]] + [-1]
    close()
    return blocks


def mask_words(
    input_ids: Sequence[int],
    word_ids: Sequence[int],
    *,
    probability: float,
    rng: np.random.Generator,
    mask_id: int,
    vocab_size: int,
) -> tuple[list[int], list[int]]:
    """Whole-word masking of one row.

    Each word (word id >= 0) is chosen with `probability`, at least one per row that has words. All
    sub-tokens of a chosen word become prediction targets; the word is replaced by [MASK] (80%), by
    random tokens (10%) or left as it is (10%), the same choice for all its sub-tokens.

    Returns:
        (inputs, labels): labels hold the original id on every target and IGNORE_INDEX elsewhere.
    """
    ids = np.asarray(input_ids, dtype=np.int64)
    words = np.asarray(word_ids, dtype=np.int64)
    labels = np.full_like(ids, IGNORE_INDEX)
    n_words = int(words.max()) + 1 if words.size and words.max() >= 0 else 0
    if n_words == 0:
        return ids.tolist(), labels.tolist()
    chosen = rng.random(n_words) < probability
    if not chosen.any():
        chosen[rng.integers(n_words)] = True  # every row teaches something
    action = rng.random(n_words)  # < 0.8 mask, < 0.9 random, else keep
    target = (words >= 0) & chosen[np.clip(words, 0, None)]
    labels[target] = ids[target]
    word_action = action[np.clip(words, 0, None)]
    ids = np.where(target & (word_action < 0.8), mask_id, ids)
    randomise = target & (word_action >= 0.8) & (word_action < 0.9)
    ids[randomise] = rng.integers(0, vocab_size, int(randomise.sum()))
    return ids.tolist(), labels.tolist()


class WholeWordMaskCollator:
    """Pads a batch of `Block` rows and masks whole words (see `mask_words`).

    Written here because transformers 5 folded whole-word masking into
    DataCollatorForLanguageModeling on top of character offsets, which packed blocks do not have;
    the fast tokenizer's word ids say the same thing directly.
    """

    def __init__(self, tokenizer: Any, *, mlm_probability: float = 0.15, seed: int = 0):
        if tokenizer.mask_token_id is None:
            raise PretrainError(f"tokenizer {tokenizer.name_or_path} has no [MASK] token; it cannot do MLM")
        if not 0 < mlm_probability < 1:
            raise PretrainError(f"--mlm-probability must be between 0 and 1, got {mlm_probability}")
        self.mask_id = tokenizer.mask_token_id
        self.pad_id = tokenizer.pad_token_id or 0
        self.vocab_size = len(tokenizer)
        self.with_types = "token_type_ids" in getattr(tokenizer, "model_input_names", ())
        self.probability = mlm_probability
        self.rng = np.random.default_rng(seed)

    def __call__(self, rows: Sequence[Block | Mapping[str, Any]]) -> dict[str, Any]:
        width = max(len(_field(r, "input_ids")) for r in rows)
        input_ids, labels, attention = [], [], []
        for row in rows:
            ids, lab = mask_words(_field(row, "input_ids"), _field(row, "word_ids"), probability=self.probability,
                                  rng=self.rng, mask_id=self.mask_id, vocab_size=self.vocab_size)
            pad = width - len(ids)
            input_ids.append(ids + [self.pad_id] * pad)
            labels.append(lab + [IGNORE_INDEX] * pad)
            attention.append([1] * len(ids) + [0] * pad)
        batch = {"input_ids": torch.tensor(input_ids), "attention_mask": torch.tensor(attention),
                 "labels": torch.tensor(labels)}
        if self.with_types:
            batch["token_type_ids"] = torch.zeros(len(rows), width, dtype=torch.long)
        return batch


def _field(row: Block | Mapping[str, Any], name: str) -> Any:
    return getattr(row, name) if isinstance(row, Block) else row[name]


# ---------------------------------------------------------------------------------------------
# Sub-token vectors from co-occurrence counts (pure)


def cooccurrence_vectors(
    sequences: Iterable[Sequence[int]],
    *,
    vocab_size: int,
    dim: int,
    window: int = 5,
    min_count: int = 2,
    alpha: float = 0.75,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Distributional vectors for the sub-tokens of `sequences`: truncated SVD of positive PMI.

    Counts how often two sub-tokens occur within `window` positions of each other (weight 1/distance,
    both directions), turns the counts into positive pointwise mutual information (contexts smoothed
    with exponent `alpha`), and keeps the top `dim` singular directions, U * sqrt(S): the classic
    count-based word vectors, computed in seconds on a CPU. Sub-tokens seen fewer than `min_count`
    times get no vector.

    Returns:
        (vectors, known): a (vocab_size, dim) float32 array, rows L2-normalised (zero where not
        known), and the boolean mask of the sub-tokens that have a vector.

    Example::

        vectors, known = cooccurrence_vectors((e.input_ids for e in encs), vocab_size=len(tok), dim=256)
    """
    from scipy import sparse
    from sklearn.utils.extmath import randomized_svd

    rows, cols, weights = [], [], []  # each pair once, left to right; the matrix is symmetrised below
    counts = np.zeros(vocab_size, dtype=np.int64)
    for seq in sequences:
        ids = np.asarray(seq, dtype=np.int64)
        counts += np.bincount(ids, minlength=vocab_size)
        for d in range(1, min(window, len(ids) - 1) + 1):
            rows.append(ids[:-d])
            cols.append(ids[d:])
            weights.append(np.full(len(ids) - d, 1.0 / d))
    known = counts >= min_count
    n = int(known.sum())
    if not rows or n <= dim:
        raise PretrainError(f"too little text for {dim}-dimensional co-occurrence vectors: {n} "
                            f"sub-tokens occur {min_count}+ times; give more text or drop init_embeddings")
    r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    keep = known[r] & known[c]
    index = np.cumsum(known) - 1  # vocabulary id -> row of the reduced matrix
    m = sparse.coo_matrix((w[keep], (index[r[keep]], index[c[keep]])), shape=(n, n)).tocsr()  # sums repeats
    m = m + m.T
    row_sum = np.asarray(m.sum(axis=1)).ravel()
    ctx = np.asarray(m.sum(axis=0)).ravel() ** alpha
    coo = m.tocoo()
    pmi = np.log(coo.data * ctx.sum() / (row_sum[coo.row] * ctx[coo.col]))
    pos = pmi > 0
    ppmi = sparse.csr_matrix((pmi[pos], (coo.row[pos], coo.col[pos])), shape=(n, n))
    u, sv, _ = randomized_svd(ppmi, n_components=dim, n_iter=5, random_state=seed)
    vec = u * np.sqrt(sv)
    vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
    vectors = np.zeros((vocab_size, dim), dtype=np.float32)
    vectors[known] = vec
    return vectors, known


def init_word_embeddings(model: Any, vectors: np.ndarray, known: np.ndarray) -> int:
    """Put `vectors` into the rows of `known` sub-tokens of the model's input embeddings.

    Rows are scaled to the mean norm of the freshly initialised rows, so the balance with the
    position embeddings under the embedding LayerNorm stays as at initialisation. The MLM decoder
    shares these weights in BERT. Returns the number of rows set.
    """
    emb = model.get_input_embeddings().weight
    if tuple(emb.shape) != vectors.shape:
        raise PretrainError(f"co-occurrence vectors {vectors.shape} do not fit the embeddings {tuple(emb.shape)}")
    with torch.no_grad():
        scale = emb.norm(dim=1).mean()
        mask = torch.from_numpy(known)
        emb[mask] = torch.from_numpy(vectors[known]).to(emb.dtype) * scale
    return int(known.sum())


# ---------------------------------------------------------------------------------------------
# Model and training


def masked_lm_loss(model: Any, batch: Mapping[str, Any]) -> Any:
    """Mean cross-entropy on the masked positions of a batch.

    For BERT-family models the vocabulary projection runs on the masked positions only (about 15%
    of the tokens): with a 30k vocabulary it would otherwise cost more than the encoder itself.
    """
    labels = batch["labels"]
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    head = getattr(model, "cls", None)
    if head is None:  # another architecture: the model's own loss
        return model(**inputs, labels=labels).loss
    hidden = model.base_model(**inputs).last_hidden_state  # (B, T, H)
    where = labels != IGNORE_INDEX
    logits = head(hidden[where])  # (n_masked, vocab)
    return torch.nn.functional.cross_entropy(logits.float(), labels[where])


def build_mlm_model(model_cfg: ModelConfig, *, base: str | None, tokenizer: Any) -> Any:
    """A masked-LM model: `base` loaded with its MLM head, or a fresh BERT of `model_cfg`'s sizes."""
    if base is None:
        return AutoModelForMaskedLM.from_config(random_bert_config(model_cfg, tokenizer))
    return load_pretrained(AutoModelForMaskedLM.from_pretrained, base, what="model")


def _load_tokenizer(name: str) -> Any:
    return load_pretrained(AutoTokenizer.from_pretrained, name, what="tokenizer")


def pretrain(
    model_cfg: ModelConfig,
    pre: PretrainConfig,
    *,
    out: str | os.PathLike,
    overwrite: bool = False,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Train a masked-LM encoder on `pre.text` and save it to `out` (written atomically).

    Args:
        model_cfg: sizes for a fresh encoder (`pre.base` None) and `tokenizer`.
        pre: the text, steps and optimisation (netra.config.PretrainConfig).
        out: the folder to write; it must not exist unless `overwrite`.

    Returns:
        The summary also written to `out/pretrain.json` (text, blocks, steps, loss, seconds).

    Example::

        cfg = load_config("configs/offline.yaml")
        pretrain(cfg.model, cfg.pretrain, out="models/pretrained-small")
    """
    started = time.time()
    out = Path(out)
    if out.exists() and not overwrite:
        raise PretrainError(f"{out} already exists; pass --overwrite to replace it or choose another --out")
    if pre.steps < 0 or (pre.steps == 0 and pre.init_embeddings != "cooccurrence"):
        raise PretrainError(f"steps must be at least 1 (0 only with init_embeddings: cooccurrence, which then "
                            f"saves the encoder with those vectors and no MLM training), got {pre.steps}")
    paths = expand_paths(pre.text)
    tokenizer = _load_tokenizer(model_cfg.tokenizer or pre.base or DEFAULT_TOKENIZER)
    texts = read_texts(paths)
    if not texts:
        raise PretrainError(f"no text in {[str(p) for p in paths]}")
    set_seed(pre.seed)
    model = build_mlm_model(model_cfg, base=pre.base, tokenizer=tokenizer)
    limit = getattr(model.config, "max_position_embeddings", pre.max_length)
    if pre.max_length > limit:
        raise PretrainError(f"max_length {pre.max_length} is above the model's {limit} positions; lower it")
    encodings = encode_texts(texts, tokenizer)
    seeded_rows = 0
    if pre.init_embeddings == "cooccurrence":
        if pre.base is not None:
            raise PretrainError(f"init_embeddings: cooccurrence starts a fresh encoder; {pre.base} already has "
                                f"embeddings (set init_embeddings: random to continue its MLM training)")
        tick = time.time()
        vectors, known = cooccurrence_vectors((e.input_ids for e in encodings), vocab_size=len(tokenizer),
                                              dim=model.config.hidden_size, seed=pre.seed)
        seeded_rows = init_word_embeddings(model, vectors, known)
        log.info("co-occurrence vectors for %d of %d sub-tokens (%.0f s)", seeded_rows, len(tokenizer),
                 time.time() - tick)
    blocks = pack_blocks(encodings, max_length=pre.max_length,
                         cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id)
    n_tokens = sum(len(b.input_ids) for b in blocks)
    log.info("pretraining on %d text(s) from %d file(s): %d blocks, %d sub-tokens", len(texts), len(paths),
             len(blocks), n_tokens)
    collator = WholeWordMaskCollator(tokenizer, mlm_probability=pre.mlm_probability, seed=pre.seed)

    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        args = TrainingArguments(
            **device_arguments(),
            output_dir=str(work / "trainer"),
            max_steps=pre.steps,
            per_device_train_batch_size=pre.batch_size,
            learning_rate=pre.learning_rate,
            weight_decay=pre.weight_decay,
            warmup_steps=pre.warmup_ratio,  # below 1: a fraction of all steps
            lr_scheduler_type="linear",
            save_strategy="no",
            logging_strategy="steps",
            logging_steps=max(1, pre.steps // 20),
            seed=pre.seed,
            data_seed=pre.seed,
            bf16=resolve_precision(pre.precision) == "bf16",
            remove_unused_columns=False,
            report_to=[],
            disable_tqdm=not show_progress,
            dataloader_num_workers=0,
        )
        if pre.steps:
            trainer = _MLMTrainer(model=model, args=args, train_dataset=blocks, data_collator=collator)
            trainer.train()
            losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
            steps, rank_zero = trainer.state.global_step, trainer.is_world_process_zero()
        else:  # the co-occurrence vectors alone
            losses, steps, rank_zero = [], 0, int(os.environ.get("RANK", "0")) == 0
        summary = {
            "netra_version": __version__,
            "text": [str(p) for p in paths],
            "n_texts": len(texts),
            "n_blocks": len(blocks),
            "n_subtokens": n_tokens,
            "base": pre.base or "random",
            "embedding_rows_from_cooccurrence": seeded_rows,
            "model_config": dataclasses.asdict(model_cfg) if pre.base is None else None,
            "pretrain": dataclasses.asdict(pre),
            "steps": steps,
            "epochs": round(steps * pre.batch_size / max(len(blocks), 1), 2),
            "first_loss": losses[0] if losses else None,
            "final_loss": losses[-1] if losses else None,
            "seconds": round(time.time() - started, 1),
        }
        if rank_zero:
            final = work / "model"
            model.save_pretrained(final)
            tokenizer.save_pretrained(final)
            (final / "pretrain.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            if out.exists():
                shutil.rmtree(out)
            os.replace(final, out)
        if torch.distributed.is_initialized():
            torch.distributed.barrier()  # the other ranks return once rank 0 has saved
        log.info("saved the pretrained encoder to %s (loss %s -> %s, %.0f s)", out, summary["first_loss"],
                 summary["final_loss"], summary["seconds"])
        return summary
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _MLMTrainer(Trainer):
    """Trainer with `masked_lm_loss` (vocabulary projection on masked positions only)."""

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        loss = masked_lm_loss(model, inputs)
        return (loss, None) if return_outputs else loss


def ensure_pretrained(cfg: Config, *, show_progress: bool = True) -> Path | None:
    """Build `model.name_or_path` with the config's `pretrain` section when it is not there yet.

    Returns the folder when it was built or already there, None when the config asks for no
    pre-training (no `pretrain.text`). The folder is written atomically, so a run killed while
    building it leaves nothing half-made behind.
    """
    if not cfg.pretrain.text:
        return None
    out = Path(cfg.model.name_or_path)
    if (out / "config.json").is_file():
        return out
    log.info("%s does not exist yet: building it with netra pretrain (pretrain section of the config)", out)
    pretrain(_encoder_config(cfg.model), cfg.pretrain, out=out, show_progress=show_progress)
    return out


def _encoder_config(model_cfg: ModelConfig) -> ModelConfig:
    # The encoder being built uses the fine-tuning config's tokenizer and sizes.
    return dataclasses.replace(model_cfg, tokenizer=model_cfg.tokenizer or DEFAULT_TOKENIZER)


# ---------------------------------------------------------------------------------------------
# netra pretrain


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="netra config: its model section gives the sizes and tokenizer, its pretrain "
                                    "section the text and optimisation, model.name_or_path the output folder")
    p.add_argument("overrides", nargs="*", metavar="section.key=value", help="dotted overrides for --config")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--model", help="continue MLM training of this model (hub name or folder)")
    src.add_argument("--init", choices=["random"], help="start from a fresh BERT of --hidden-size/--layers/--heads")
    p.add_argument("--text", nargs="+", help="text files, netra JSONL or CoNLL files (glob patterns allowed)")
    p.add_argument("--out", help="folder to write the encoder to (default with --config: model.name_or_path)")
    p.add_argument("--tokenizer", help=f"tokenizer (default: the model's own; {DEFAULT_TOKENIZER} for --init random)")
    for flag, field in (("--steps", "steps"), ("--max-length", "max_length"), ("--batch-size", "batch_size"),
                        ("--seed", "seed")):
        p.add_argument(flag, type=int, dest=field, help=f"default: {getattr(PretrainConfig(), field)}")
    for flag, field in (("--learning-rate", "learning_rate"), ("--mlm-probability", "mlm_probability")):
        p.add_argument(flag, type=float, dest=field, help=f"default: {getattr(PretrainConfig(), field)}")
    for flag, field in (("--hidden-size", "hidden_size"), ("--layers", "num_hidden_layers"),
                        ("--heads", "num_attention_heads")):
        p.add_argument(flag, type=int, dest=field, help=f"--init random only; default: {getattr(ModelConfig(), field)}")
    p.add_argument("--init-embeddings", choices=["random", "cooccurrence"], dest="init_embeddings",
                   help="--init random only: start the input embeddings from co-occurrence vectors of the "
                        "text (cooccurrence) or BERT's random init (default: random)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"],
                   help="auto: bf16 on a GPU that supports it, else fp32; bf16 on a CPU with AVX512-BF16 is "
                        "about 1.5x faster here")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")


def settings_from_args(args: argparse.Namespace) -> tuple[ModelConfig, PretrainConfig, Path]:
    """Resolve the command line (and --config) into the model sizes, the pretrain settings and --out.

    Raises:
        PretrainError: a required option is missing or options contradict each other.
    """
    if args.config:
        cfg = load_config(args.config, args.overrides)
        model_cfg, pre = _encoder_config(cfg.model), cfg.pretrain
        out = args.out or cfg.model.name_or_path
    else:
        if args.overrides:
            raise PretrainError(f"overrides {args.overrides} need --config")
        model_cfg, pre, out = ModelConfig(), PretrainConfig(), args.out
    if args.model:
        pre = dataclasses.replace(pre, base=args.model)
    elif args.init == "random":
        pre = dataclasses.replace(pre, base=None)
    elif not args.config:
        raise PretrainError("say what to start from: --model NAME_OR_FOLDER, --init random, or --config FILE")
    changes = {f: getattr(args, f) for f in ("steps", "max_length", "batch_size", "seed", "learning_rate",
                                             "mlm_probability", "init_embeddings", "precision")
               if getattr(args, f) is not None}
    if args.text:
        changes["text"] = list(args.text)
    pre = dataclasses.replace(pre, **changes)
    sizes = {f: getattr(args, f) for f in ("hidden_size", "num_hidden_layers", "num_attention_heads")
             if getattr(args, f) is not None}
    model_cfg = dataclasses.replace(model_cfg, **sizes, tokenizer=args.tokenizer or model_cfg.tokenizer
                                    or (DEFAULT_TOKENIZER if pre.base is None else None))
    if not pre.text:
        raise PretrainError("no text: give --text FILES (or a config with pretrain.text)")
    if not out:
        raise PretrainError("no output folder: give --out DIR")
    if model_cfg.hidden_size % model_cfg.num_attention_heads:
        raise PretrainError(f"--hidden-size {model_cfg.hidden_size} must be a multiple of --heads "
                            f"{model_cfg.num_attention_heads}")
    return model_cfg, pre, Path(out)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        model_cfg, pre, out = settings_from_args(args)
        summary = pretrain(model_cfg, pre, out=out, overwrite=args.overwrite)
    except (PretrainError, ConfigError, OSError) as exc:
        print(f"netra pretrain: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # netra.validate.InvalidData and friends: one problem per line
        print(f"netra pretrain: error: {exc}", file=sys.stderr)
        return 2
    print(f"{out}: {summary['steps']} steps on {summary['n_blocks']} blocks ({summary['epochs']} epochs), "
          f"MLM loss {summary['first_loss']} -> {summary['final_loss']}, {summary['seconds']} s")
    return 0
