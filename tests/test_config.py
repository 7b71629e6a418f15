from __future__ import annotations

from pathlib import Path

import pytest

from netra.config import Config, ConfigError, coerce, config_from_dict, load_config, parse_overrides

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_config_reads_sections_and_keeps_defaults(tmp_path):
    cfg = load_config(write(tmp_path, "model:\n  max_length: 256\ntraining:\n  epochs: 2\n"))
    assert cfg.model.max_length == 256
    assert cfg.training.epochs == 2.0 and isinstance(cfg.training.epochs, float)
    assert cfg.model.stride == Config().model.stride
    assert cfg.data.train == "seeds/gold.jsonl"


def test_dotted_overrides_win_over_the_file_and_parse_as_yaml(tmp_path):
    path = write(tmp_path, "training:\n  epochs: 2\ndata:\n  dev: dev.jsonl\n")
    cfg = load_config(path, ["training.epochs=5", "data.dev=null", "training.tasks=[tagger]",
                             "training.learning_rate=1e-3"])
    assert cfg.training.epochs == 5.0
    assert cfg.data.dev is None
    assert cfg.training.tasks == ["tagger"]
    assert cfg.training.learning_rate == pytest.approx(0.001)


def test_unknown_key_in_file_names_file_and_key(tmp_path):
    path = write(tmp_path, "training:\n  epoch: 2\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert "training.epoch" in str(err.value) and "epochs" in str(err.value)


def test_unknown_section_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown section 'optimizer'"):
        load_config(write(tmp_path, "optimizer:\n  lr: 1\n"))


def test_wrong_type_names_key_and_expected_type(tmp_path):
    with pytest.raises(ConfigError, match=r"training.batch_size: expected an integer, got 'eight'"):
        load_config(write(tmp_path, "training:\n  batch_size: eight\n"))


def test_bool_is_not_accepted_as_a_number(tmp_path):
    with pytest.raises(ConfigError, match="expected an integer"):
        load_config(write(tmp_path, "training:\n  batch_size: true\n"))


def test_choice_fields_reject_other_values():
    with pytest.raises(ConfigError, match=r"model.init: expected one of \['pretrained', 'random'\]"):
        load_config(None, ["model.init=scratch"])


def test_wrong_override_names_the_override():
    with pytest.raises(ConfigError, match="override training.epoch"):
        load_config(None, ["training.epoch=3"])
    with pytest.raises(ConfigError, match="expected section.key=value"):
        load_config(None, ["epochs=3"])


def test_inconsistent_values_are_errors_with_the_key():
    with pytest.raises(ConfigError, match=r"model.stride = 300 must be .* smaller than model.max_length - 2 = 254"):
        load_config(None, ["model.max_length=256", "model.stride=300"])
    with pytest.raises(ConfigError, match="training.warmup_ratio"):
        load_config(None, ["training.warmup_ratio=1.5"])


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_parse_overrides_reads_yaml_values():
    assert parse_overrides(["training.epochs=3", "data.dev=null", "model.name_or_path=a/b"]) == {
        "training.epochs": 3, "data.dev": None, "model.name_or_path": "a/b"}


def test_coerce_accepts_numeric_strings_only_for_floats():
    assert coerce("1e-3", float) == pytest.approx(0.001)
    assert coerce(3, float) == 3.0
    with pytest.raises(TypeError):
        coerce("3", int)
    assert coerce(None, int | None) is None
    with pytest.raises(TypeError, match="expected a list"):
        coerce("tagger", list[str])


def test_config_round_trips_through_a_dict():
    cfg = load_config(None, ["training.epochs=7", "model.pooling=max"])
    again = config_from_dict(cfg.to_dict())
    assert again == cfg


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "configs").glob("*.yaml")))
def test_shipped_configs_load_and_name_only_files_in_the_repository(name):
    """Every shipped config runs from a fresh clone: the data, tokenizer and pre-training text it
    names are in the repository (nothing from ../shared or the network)."""
    cfg = load_config(ROOT / "configs" / name)
    assert set(cfg.training.tasks) == {"tagger", "classifier"}
    named = [cfg.data.train, cfg.data.dev, *(s.path for s in cfg.data.sources)]
    for path in filter(None, named):
        assert (ROOT / path).is_file(), f"{name}: {path} is not in the repository"
    for pattern in cfg.pretrain.text:
        assert list(ROOT.glob(pattern)), f"{name}: pretrain.text {pattern} matches no file"
    if cfg.model.tokenizer and cfg.model.tokenizer.startswith("data/"):
        assert (ROOT / cfg.model.tokenizer / "vocab.txt").is_file(), f"{name}: no {cfg.model.tokenizer}"


# -- multi-source data and the pretrain section (issue 6) ------------------------------------


def test_sources_are_typed_mappings_with_label_maps(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  sources:\n    - {path: a.conll, format: conll, label_map: {PERSON: PER}, "
                    "annotated_labels: [PER], weight: 0.5}\npretrain:\n  text: [seeds/*.txt]\n  steps: 7\n",
                    encoding="utf-8")
    cfg = load_config(path)
    (src,) = cfg.data.sources
    assert (src.path, src.format, src.label_map, src.annotated_labels, src.weight) == \
        ("a.conll", "conll", {"PERSON": "PER"}, ["PER"], 0.5)
    assert cfg.pretrain.steps == 7 and cfg.pretrain.text == ["seeds/*.txt"]
    assert load_config(path, ["pretrain.steps=0", "pretrain.init_embeddings=cooccurrence"]).pretrain.steps == 0
    with pytest.raises(ConfigError, match="pretrain.steps.*0 only with init_embeddings: cooccurrence"):
        load_config(path, ["pretrain.steps=0"])
    assert config_from_dict(cfg.to_dict()) == cfg


def test_source_with_unknown_or_missing_key_is_an_error():
    with pytest.raises(ConfigError, match=r"data.sources: unknown key\(s\) \['wieght'\]"):
        load_config(None, ["data.sources=[{path: a, wieght: 2}]"])
    with pytest.raises(ConfigError, match=r"missing key\(s\) \['path'\]"):
        load_config(None, ["data.sources=[{format: conll}]"])
    with pytest.raises(ConfigError, match="positive weight"):
        load_config(None, ["data.sources=[{path: a, weight: 0}]"])


def test_shared_classifier_needs_the_tagger_task():
    with pytest.raises(ConfigError, match="training.tasks must include 'tagger'"):
        load_config(ROOT / "configs" / "tiny.yaml", ["training.tasks=[classifier]"])
    cfg = load_config(ROOT / "configs" / "tiny.yaml", ["training.tasks=[classifier]", "model.classifier_encoder=own"])
    assert cfg.model.classifier_encoder == "own"
