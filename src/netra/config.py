"""Training configuration: one typed dataclass per concern, loaded from YAML with dotted overrides.

A config file has the sections `data`, `model`, `training` and (optional) `pretrain`, each mapping
onto a dataclass below. Unknown sections or keys and values of the wrong type are errors that name the file and the
key. Command-line overrides use dotted keys (`training.epochs=3`); their values are parsed as YAML,
so `null`, `[tagger]` and `1e-3` mean what they look like. Relative paths are taken relative to the
working directory, as Hugging Face does.

The resolved config (file + overrides + defaults) is saved with every trained model.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message names the source and the key."""


@dataclass
class SourceConfig:
    """One more training source beside `data.train` (never used for dev).

    `format` is any format `netra convert` reads; `label_map` renames its labels (`TIME: O` drops
    one). `annotated_labels` are the labels the source really annotates (None: what the reader
    records, else all): its O tokens may hide any other label, and the tagger learns from them with
    the partial-annotation loss (netra.partial). `weight` is how many times each of its windows is
    seen per epoch (a fraction takes a fixed random part of them).
    """

    path: str
    format: Literal["netra", "doccano", "labelstudio", "conll", "brat"] = "netra"
    label_map: dict[str, str] | None = None
    annotated_labels: list[str] | None = None
    weight: float = 1.0


@dataclass
class DataConfig:
    """Where the training data comes from.

    When `dev` is not given, `dev_fraction` of the training articles (at least one) is held out as
    development data; with `dev_fraction: 0` the best checkpoint is chosen on the training data
    itself and the article-type thresholds stay at 0.5. `sources` add training data from other
    files (public corpora, see data/corpora/README.md); `train_weight` is how many times each
    `train` window (and article, for the classifier) is seen per epoch.
    """

    train: str = "seeds/gold.jsonl"
    train_weight: float = 1.0
    sources: list[SourceConfig] = field(default_factory=list)
    dev: str | None = None
    dev_fraction: float = 0.0
    schema: str | None = None  # label schema file; None = data/labels.yaml
    span_labels: list[str] | None = None  # labels the tagger learns; None = every schema label


@dataclass
class ModelConfig:
    """The encoder, the tokenizer and how long articles are cut into windows.

    `init: pretrained` loads `name_or_path` (hub name or local folder) with `from_pretrained`;
    `init: random` builds a BERT of the sizes below from scratch, with the vocabulary of `tokenizer`.
    """

    name_or_path: str = "indobenchmark/indobert-base-p1"
    init: Literal["pretrained", "random"] = "pretrained"
    tokenizer: str | None = None  # None = name_or_path
    max_length: int = 512  # model positions per window, [CLS] and [SEP] included
    stride: int = 128  # sub-tokens shared by consecutive windows
    pooling: Literal["mean", "max"] = "mean"  # how the classifier pools the logits of an article's windows
    # shared: the classifier is a linear head on the trained tagger's encoder (one forward pass per
    # window serves both at prediction); own: a second encoder fine-tuned for the article types.
    classifier_encoder: Literal["shared", "own"] = "shared"
    # Sizes for init: random (ignored for pretrained models).
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int | None = None  # None = 4 * hidden_size
    max_position_embeddings: int = 512
    dropout: float = 0.1


@dataclass
class TrainingConfig:
    """The optimisation, checkpointing and output folder (models/<run>/, see models/README.md)."""

    output_dir: str = "models/run"
    tasks: list[Literal["tagger", "classifier"]] = field(default_factory=lambda: ["tagger", "classifier"])
    epochs: float = 3.0
    classifier_epochs: float | None = None  # None = epochs
    batch_size: int = 8  # tagger: windows per device and step
    classifier_batch_size: int = 4  # classifier: whole articles (all their windows) per device and step
    learning_rate: float = 5e-5
    classifier_learning_rate: float | None = None  # None = learning_rate
    # model.classifier_encoder: shared fits the head (full batch, Adam) on the frozen encoder's features
    # with these; the classifier_* settings above apply to classifier_encoder: own.
    classifier_head_steps: int = 300
    classifier_head_l2: float = 0.01
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    gradient_accumulation_steps: int = 1
    eval_every: int = 0  # evaluate on dev and checkpoint every N optimizer steps; 0 = every epoch
    save_total_limit: int = 2  # checkpoints kept per task (the best one is always kept)
    early_stopping_patience: int | None = None  # evaluations without improvement before stopping
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    seed: int = 42
    logging_steps: int = 10


@dataclass
class PretrainConfig:
    """Masked-language-model pre-training of the encoder (`netra pretrain`, netra.pretrain).

    With `text` set and `model.init: pretrained`, training first builds `model.name_or_path` with
    these settings when that folder does not exist yet (configs/offline.yaml). `text` lists files or
    glob patterns (plain text, netra JSONL, CoNLL). `base` None starts from a fresh BERT with the
    model section's sizes and tokenizer; a hub name or folder continues that model's MLM training.
    """

    text: list[str] = field(default_factory=list)
    base: str | None = None
    steps: int = 2000
    batch_size: int = 32
    max_length: int = 128  # positions per block, [CLS] and [SEP] included
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    mlm_probability: float = 0.15
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    # "cooccurrence": before MLM, a fresh encoder's input embeddings start from count-based vectors
    # of the same text (positive PMI + truncated SVD, seconds on a CPU); "random": BERT's init.
    init_embeddings: Literal["random", "cooccurrence"] = "random"
    seed: int = 42


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS: dict[str, type] = {
    "data": DataConfig, "model": ModelConfig, "training": TrainingConfig, "pretrain": PretrainConfig,
}


def load_config(path: str | os.PathLike | None, overrides: typing.Sequence[str] = ()) -> Config:
    """Read a YAML config, apply dotted `key=value` overrides, check every key and type.

    Example::

        cfg = load_config("configs/tiny.yaml", ["training.epochs=2", "training.output_dir=models/x"])
        cfg.training.epochs  # 2.0

    Raises:
        ConfigError: naming the file (or the override) and the key that is wrong.
    """
    source = str(path) if path is not None else "<defaults>"
    raw: Any = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: config file not found (see configs/ for examples)")
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{p}: expected a mapping with sections {sorted(_SECTIONS)}")
    origins: dict[str, str] = {}
    for section, values in raw.items():
        if section not in _SECTIONS:
            raise ConfigError(f"{source}: unknown section '{section}' (known: {sorted(_SECTIONS)})")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: section '{section}' must be a mapping of keys to values")
        for key in values:
            origins[f"{section}.{key}"] = source
    for dotted, value in parse_overrides(overrides).items():
        section, key = dotted.split(".", 1)
        raw.setdefault(section, {})
        if not isinstance(raw.get(section), dict):
            raise ConfigError(f"override {dotted}: section '{section}' is not a mapping")
        raw[section][key] = value
        origins[dotted] = f"override {dotted}"
    config = Config(**{
        name: _build_section(cls, raw.get(name) or {}, section=name, origins=origins, source=source)
        for name, cls in _SECTIONS.items()
    })
    _check_values(config, origins=origins, source=source)
    return config


def parse_overrides(items: typing.Sequence[str]) -> dict[str, Any]:
    """Parse `section.key=value` strings; values are YAML scalars or lists.

    Example::

        parse_overrides(["training.epochs=3", "data.dev=null"])
        # {'training.epochs': 3, 'data.dev': None}
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().removeprefix("--")
        if not sep or key.count(".") != 1 or not all(key.split(".")):
            raise ConfigError(
                f"override {item!r}: expected section.key=value, e.g. training.epochs=3 "
                f"(sections: {sorted(_SECTIONS)})"
            )
        section = key.split(".")[0]
        if section not in _SECTIONS:
            raise ConfigError(f"override {item!r}: unknown section '{section}' (known: {sorted(_SECTIONS)})")
        try:
            out[key] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            out[key] = text  # not YAML (e.g. an odd path): keep the string, the type check decides
    return out


def config_from_dict(raw: dict[str, Any]) -> Config:
    """Rebuild a Config from `Config.to_dict()` output (e.g. the "config" saved in netra.json)."""
    origins = {f"{s}.{k}": "<dict>" for s, v in raw.items() if isinstance(v, dict) for k in v}
    return Config(**{
        name: _build_section(cls, raw.get(name) or {}, section=name, origins=origins, source="<dict>")
        for name, cls in _SECTIONS.items()
    })


def _build_section(cls: type, values: dict[str, Any], *, section: str, origins: dict[str, str], source: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        where = origins.get(f"{section}.{key}", source)
        if key not in hints:
            raise ConfigError(f"{where}: unknown key '{section}.{key}' (known in '{section}': {known})")
        try:
            kwargs[key] = coerce(value, hints[key])
        except TypeError as exc:
            raise ConfigError(f"{where}: {section}.{key}: {exc}") from None
    return cls(**kwargs)


def coerce(value: Any, hint: Any) -> Any:
    """Check `value` against a type hint and return it in that type.

    ints are accepted where floats are expected, and so are numeric strings (YAML reads `1e-3`
    as a string); bools are never accepted as numbers.

    Raises:
        TypeError: saying what was expected and what was given.
    """
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return coerce(value, option)
            except TypeError as exc:
                errors.append(str(exc))
        raise TypeError(" or ".join(errors) + (" (or null)" if type(None) in options else ""))
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise TypeError(f"expected one of {list(choices)}, got {value!r}")
        return value
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(f"expected a mapping, got {value!r}")
        key_hint, value_hint = typing.get_args(hint)
        return {coerce(k, key_hint): coerce(v, value_hint) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        fields = typing.get_type_hints(hint)
        required = [f.name for f in dataclasses.fields(hint)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if not isinstance(value, dict):
            raise TypeError(f"expected a mapping with keys {list(fields)}, got {value!r}")
        unknown = sorted(set(value) - set(fields))
        missing = [k for k in required if k not in value]
        if unknown or missing:
            what = f"unknown key(s) {unknown}" if unknown else f"missing key(s) {missing}"
            raise TypeError(f"{what} (keys: {list(fields)}; required: {required})")
        return hint(**{k: coerce(v, fields[k]) for k, v in value.items()})
    if origin is list:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r}")
        (item,) = typing.get_args(hint)
        return [coerce(v, item) for v in value]
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported type {hint}")  # a new field type needs a branch here


def _check_values(config: Config, *, origins: dict[str, str], source: str) -> None:
    m, t, d = config.model, config.training, config.data
    rules = [
        ("model.max_length", m.max_length >= 8, "must be at least 8"),
        ("model.stride", 0 <= m.stride < m.max_length - 2,
         f"must be >= 0 and smaller than model.max_length - 2 = {m.max_length - 2} (windows must advance)"),
        ("model.hidden_size", m.hidden_size % max(m.num_attention_heads, 1) == 0,
         "must be a multiple of model.num_attention_heads"),
        ("training.epochs", t.epochs > 0, "must be positive"),
        ("training.classifier_epochs", (t.classifier_epochs or 1.0) > 0, "must be positive"),
        ("training.batch_size", t.batch_size >= 1, "must be at least 1"),
        ("training.classifier_batch_size", t.classifier_batch_size >= 1, "must be at least 1"),
        ("training.learning_rate", t.learning_rate > 0, "must be positive"),
        ("training.classifier_learning_rate", (t.classifier_learning_rate or 1.0) > 0, "must be positive"),
        ("training.warmup_ratio", 0.0 <= t.warmup_ratio < 1.0, "must be a fraction of all steps in [0, 1)"),
        ("training.eval_every", t.eval_every >= 0, "must be 0 (every epoch) or a number of steps"),
        ("training.tasks", bool(t.tasks) and len(set(t.tasks)) == len(t.tasks),
         "must list 'tagger' and/or 'classifier', each once"),
        ("model.classifier_encoder",
         m.classifier_encoder == "own" or "classifier" not in t.tasks or "tagger" in t.tasks,
         "= shared puts the classifier on the tagger's encoder, so training.tasks must include 'tagger' "
         "(or set model.classifier_encoder=own)"),
        ("training.classifier_head_steps", t.classifier_head_steps >= 1, "must be at least 1"),
        ("training.classifier_head_l2", t.classifier_head_l2 >= 0, "must be >= 0"),
        ("data.dev_fraction", 0.0 <= d.dev_fraction < 1.0, "must be in [0, 1)"),
        ("data.train_weight", d.train_weight > 0, "must be positive"),
        ("data.sources", all(s.weight > 0 for s in d.sources), "must each have a positive weight"),
        ("pretrain.steps", config.pretrain.steps >= 1 or (config.pretrain.steps == 0 and
                                                          config.pretrain.init_embeddings == "cooccurrence"),
         "must be at least 1 (0 only with init_embeddings: cooccurrence: the vectors, no MLM)"),
        ("pretrain.max_length", config.pretrain.max_length >= 3, "must be at least 3 ([CLS] x [SEP])"),
        ("pretrain.mlm_probability", 0.0 < config.pretrain.mlm_probability < 1.0, "must be in (0, 1)"),
    ]
    for key, ok, message in rules:
        if not ok:
            raise ConfigError(f"{origins.get(key, source)}: {key} = {_get(config, key)!r} {message}")


def _get(config: Config, dotted: str) -> Any:
    section, key = dotted.split(".")
    return getattr(getattr(config, section), key)
