from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra.config import ConfigError, load_config
from netra.cv import add_arguments, fold_config, fold_summary, make_folds, run, run_cv
from netra.validate import read_docs

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "seeds" / "gold.jsonl"
TINY = ROOT / "configs" / "tiny.yaml"


def test_leave_one_out_tests_each_article_once_in_order():
    assert make_folds(["a", "b", "c"], "loo", seed=0) == [[0], [1], [2]]


def test_k_folds_partition_the_articles_evenly_and_reproducibly():
    folds = make_folds([str(i) for i in range(7)], 3, seed=5)
    assert sorted(i for f in folds for i in f) == list(range(7))
    assert sorted(len(f) for f in folds) == [2, 2, 3]
    assert folds == make_folds([str(i) for i in range(7)], 3, seed=5)
    assert folds != make_folds([str(i) for i in range(7)], 3, seed=6)


@pytest.mark.parametrize("k", [1, 8])
def test_k_outside_two_to_n_is_an_error(k):
    with pytest.raises(ValueError, match="need 2 <= K <= number of articles"):
        make_folds(["a"] * 7, k, seed=0)


def test_fold_summary_gives_mean_and_sample_std():
    summary = fold_summary([{"ents_f": 0.5, "types_micro_f": 1.0}, {"ents_f": 1.0, "types_micro_f": 1.0}])
    assert summary["mean"]["ents_f"] == pytest.approx(0.75)
    assert summary["std"]["ents_f"] == pytest.approx(0.3535534, abs=1e-6)
    assert summary["std"]["types_micro_f"] == 0.0
    assert fold_summary([{"ents_f": 0.4}])["std"]["ents_f"] == 0.0


def test_fold_config_replaces_only_train_file_dev_and_output(tmp_path):
    cfg = load_config(TINY, ["training.epochs=2"])
    fold = fold_config(cfg, train_path=tmp_path / "t.jsonl", out_dir=tmp_path / "m")
    assert fold.data.train == str(tmp_path / "t.jsonl") and fold.data.dev is None
    assert fold.training.output_dir == str(tmp_path / "m")
    assert fold.training.epochs == 2.0 and fold.model == cfg.model
    assert cfg.training.output_dir == "models/tiny"  # the given config is not changed


def test_cv_refuses_a_fixed_dev_file(tmp_path):
    cfg = load_config(TINY, [f"data.dev={GOLD}"])
    with pytest.raises(ConfigError, match="data.dev=null"):
        run_cv(cfg, data=GOLD, out=tmp_path)


@pytest.mark.slow
def test_cv_command_writes_model_and_baseline_side_by_side(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "cv"
    args = parser.parse_args([
        "--config", str(TINY), "--data", str(GOLD), "--out", str(out), "--device", "cpu",
        # a very small, short run: the test is about the folds and the report, not the scores
        "model.hidden_size=32", "model.num_hidden_layers=1", "model.num_attention_heads=2",
        "model.max_length=128", "model.stride=16", "training.epochs=1",
    ])
    assert run(args) == 0
    gold = read_docs(GOLD)
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= {"model", "baseline"}
    for system in ("model", "baseline"):
        assert metrics[system]["n_docs"] == len(gold)
        assert len(metrics[system]["per_fold"]) == len(gold)
        assert [f["test_ids"] for f in metrics[system]["per_fold"]] == [[d.id] for d in gold]
        assert set(metrics[system]["folds"]) == {"mean", "std"}
    pred = read_docs(out / "predictions.jsonl")
    assert [d.id for d in pred] == [d.id for d in gold]
    assert all(d.types for d in pred)
    report = (out / "report.md").read_text()
    assert "model" in report and "baseline" in report and "mean ± sample std" in report
    assert (out / "report.html").read_text().startswith("<!")
    assert not (out / "folds" / "fold-0" / "model" / "tagger").exists()  # fold models removed
    assert "baseline" in capsys.readouterr().out


def test_cv_refuses_configs_with_the_same_name_or_a_reserved_one(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    (tmp_path / "a").mkdir()
    other = tmp_path / "a" / TINY.name
    other.write_text(TINY.read_text())
    args = parser.parse_args(["--config", str(TINY), "--config", str(other), "--data", str(GOLD),
                              "--out", str(tmp_path / "cv")])
    assert run(args) == 2
    assert "must have different names" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="not 'baseline'"):
        run_cv({"baseline": load_config(TINY)}, data=GOLD, out=tmp_path / "cv")


@pytest.mark.slow
def test_cv_compares_several_configs_on_the_same_folds_in_one_report(tmp_path, capsys):
    import argparse

    tiny = TINY.read_text()
    assert "  epochs: 30\n" in tiny
    one, many = tmp_path / "one-epoch.yaml", tmp_path / "thirty-epochs.yaml"
    one.write_text(tiny.replace("  epochs: 30\n", "  epochs: 1\n"))
    many.write_text(tiny)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "cv"
    args = parser.parse_args(["--config", str(one), "--config", str(many), "--data", str(GOLD), "--out", str(out),
                              "--device", "cpu", "--folds", "2", "model.hidden_size=32",
                              "model.num_hidden_layers=1", "model.num_attention_heads=2"])
    assert run(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == {"one-epoch", "thirty-epochs", "baseline", "config"}
    assert metrics["config"]["train_config"]["one-epoch"]["training"]["epochs"] == 1
    for system in ("one-epoch", "thirty-epochs", "baseline"):
        assert [f["test_ids"] for f in metrics[system]["per_fold"]] == \
            [f["test_ids"] for f in metrics["baseline"]["per_fold"]]  # the same folds for every system
        assert metrics[system]["n_docs"] == len(read_docs(GOLD))
    for system in ("one-epoch", "thirty-epochs"):
        assert [d.id for d in read_docs(out / system / "predictions.jsonl")] == [d.id for d in read_docs(GOLD)]
        assert (out / system / "report.html").is_file()
    report = (out / "report.md").read_text()
    header = next(line for line in report.splitlines() if line.startswith("| metric"))
    assert "one-epoch" in header and "thirty-epochs" in header and "baseline" in header
    # two real trainings, not one copied: thirty epochs learn more than one from the same folds
    assert metrics["thirty-epochs"]["ents_f"] > metrics["one-epoch"]["ents_f"]
    assert "thirty-epochs ents_f across folds" in capsys.readouterr().out
