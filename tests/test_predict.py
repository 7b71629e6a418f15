from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers_models import make_run
from netra import predict as predict_mod
from netra.cli import main
from netra.validate import read_docs

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "Penjabat Bupati Purwakarta, Benni Irwan, membuka sosialisasi netralitas ASN menjelang Pemilu 2024.",
    "Bawaslu Kabupaten Purwakarta mengingatkan ASN agar netral dalam Pilkada Serentak 2024.",
    "Kepala BKPSDM Kabupaten Buru, Komari, memimpin ikrar netralitas di Aula Kantor Bupati Buru.",
    "Rabu (11/10/2023) para camat dan lurah menandatangani fakta integritas. " * 5,
    "Kapolres Pulau Buru, AKBP Nur Rahman, menghadiri upacara hari Korpri ke-50.",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("models") / "run", max_length=32, stride=8)


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def doc_line(i: int, text: str, **extra) -> str:
    return json.dumps({"id": f"doc{i}", "text": text, **extra}, ensure_ascii=False)


def predict(run_dir, inp, out, *extra) -> int:
    return main(["predict", "--model", str(run_dir), "--input", str(inp), "--output", str(out),
                 "--device", "cpu", "--precision", "fp32", "--batch-size", "1", "--no-progress", *extra])


def test_corrupt_line_in_the_middle_is_reported_and_the_rest_predicted(run_dir, tmp_path):
    lines = [doc_line(i, t) for i, t in enumerate(TEXTS)]
    lines.insert(2, '{"id": "broken", "text": "Bupati')  # a line cut in half
    inp = write_jsonl(tmp_path / "in.jsonl", lines)
    with open(inp, "ab") as f:
        f.write(b'{"id": "latin1", "text": "Caf\xe9"}\n')  # not UTF-8
    out = tmp_path / "pred.jsonl"
    assert predict(run_dir, inp, out) == 2  # the exit status counts the failed records
    assert [d.id for d in read_docs(out)] == [f"doc{i}" for i in range(len(TEXTS))]
    errors = [json.loads(x) for x in (tmp_path / "pred.errors.jsonl").read_text().splitlines()]
    assert [(e["line"], e["source"]) for e in errors] == [(3, str(inp)), (7, str(inp))]
    assert errors[0]["reason"].startswith("malformed JSON")
    assert errors[1]["reason"].startswith("not valid UTF-8")


def test_gold_problems_do_not_stop_prediction_but_empty_text_does(run_dir, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [
        doc_line(0, TEXTS[0], spans=[{"start": 0, "end": 999, "label": "NOPE"}], types=["unknown"]),
        json.dumps({"id": 17, "text": TEXTS[1], "label": [[0, 7, "ORG"]]}),  # doccano export
        doc_line(2, "   "),
        json.dumps({"text": TEXTS[2]}),
        doc_line(0, TEXTS[3]),
    ])
    out = tmp_path / "pred.jsonl"
    assert predict(run_dir, inp, out) == 3
    assert [d.id for d in read_docs(out)] == ["doc0", "17"]
    reasons = [json.loads(x)["reason"] for x in (tmp_path / "pred.errors.jsonl").read_text().splitlines()]
    assert reasons[0].startswith("'text' is empty")
    assert reasons[1].startswith("missing or empty 'id'")
    assert reasons[2].startswith("duplicate id (first used on line 1")


def test_baseline_and_predict_report_the_same_problem_for_the_same_bad_line(run_dir, tmp_path, capsys):
    inp = write_jsonl(tmp_path / "in.jsonl", [
        doc_line(0, TEXTS[0]),
        '{"id": "broken", "text": "Bupati',  # a line cut in half
        doc_line(2, "   "),
        doc_line(3, TEXTS[3]),
    ])
    capsys.readouterr()
    assert main(["baseline", "--input", str(inp), "--output", str(tmp_path / "base.jsonl")]) == 1
    baseline_lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith(f"{inp}:")]
    assert predict(run_dir, inp, tmp_path / "pred.jsonl") == 2
    predict_lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith(f"{inp}:")]
    assert predict_lines == baseline_lines
    assert [x.split(": ")[0] for x in baseline_lines] == [f"{inp}:2", f"{inp}:3"]
    assert "malformed JSON" in baseline_lines[0] and "'text' is empty" in baseline_lines[1]
    errors = [json.loads(x) for x in (tmp_path / "pred.errors.jsonl").read_text().splitlines()]
    assert [f"{e['source']}:{e['line']}: id={e['id']}: {e['reason']}" for e in errors] == baseline_lines


def test_output_order_equals_input_order_for_folder_and_jsonl(run_dir, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in zip(["b", "c", "a", "e", "d"], TEXTS, strict=True):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    assert predict(run_dir, folder, out) == 0
    docs = read_docs(out)
    assert [d.id for d in docs] == ["a", "b", "c", "d", "e"]
    assert docs[0].text == TEXTS[2] and docs[0].meta["source"] == str(folder / "a.txt")
    # JSONL keeps the file's order even though batches are sorted by length inside
    order = [3, 0, 4, 1, 2]
    inp = write_jsonl(tmp_path / "in.jsonl", [doc_line(i, TEXTS[i]) for i in order])
    assert predict(run_dir, inp, out) == 0
    assert [d.id for d in read_docs(out)] == [f"doc{i}" for i in order]
    assert not (tmp_path / "pred.errors.jsonl").exists()


def test_resume_after_a_torn_write_equals_an_uninterrupted_run(run_dir, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [doc_line(i, t) for i, t in enumerate(TEXTS * 2)])
    full = tmp_path / "full.jsonl"
    assert predict(run_dir, inp, full) == 0
    lines = full.read_bytes().splitlines(keepends=True)
    # a run killed while writing its fourth document: three whole lines and half of the next
    killed = tmp_path / "killed.jsonl"
    killed.write_bytes(b"".join(lines[:3]) + lines[3][:40])
    assert predict(run_dir, inp, killed, "--resume") == 0
    assert killed.read_bytes() == full.read_bytes()
    # resuming a finished run predicts nothing and changes nothing
    assert predict(run_dir, inp, killed, "--resume") == 0
    assert killed.read_bytes() == full.read_bytes()


def test_failed_run_leaves_previous_output_untouched(run_dir, tmp_path, monkeypatch):
    inp = write_jsonl(tmp_path / "in.jsonl", [doc_line(i, t) for i, t in enumerate(TEXTS)])
    out = tmp_path / "pred.jsonl"
    out.write_text("previous results\n")

    def explode(self, docs, **kwargs):
        yield from []
        raise RuntimeError("out of memory")

    monkeypatch.setattr("netra.inference.Predictor.predict_docs", explode)
    with pytest.raises(RuntimeError):
        predict(run_dir, inp, out)
    assert out.read_text() == "previous results\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_csv_lists_every_predicted_entity(run_dir, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [doc_line(i, t) for i, t in enumerate(TEXTS)])
    out = tmp_path / "pred.jsonl"
    assert predict(run_dir, inp, out, "--csv") == 0
    rows = list(csv.DictReader(open(tmp_path / "pred.csv", encoding="utf-8")))
    docs = {d.id: d for d in read_docs(out)}
    assert len(rows) == sum(len(d.spans) for d in docs.values()) > 0
    for row in rows:
        doc = docs[row["doc_id"]]
        assert doc.text[int(row["start"]) : int(row["end"])] == row["text"]
        assert 0 < float(row["score"]) <= 1


def test_labelstudio_pre_annotations_and_records_come_from_the_predictions(run_dir, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [doc_line(i, t) for i, t in enumerate(TEXTS[:3])])
    out = tmp_path / "pred.jsonl"
    assert predict(run_dir, inp, out, "--format", "labelstudio", "--records") == 0
    docs = read_docs(out)
    tasks = json.loads((tmp_path / "pred.labelstudio.json").read_text(encoding="utf-8"))
    assert [t["data"]["id"] for t in tasks] == [d.id for d in docs]
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"] == f"run@{docs[0].meta['model']['config_hash']}"
    labelled = [r for r in prediction["result"] if r["type"] == "labels"]
    assert [(r["value"]["start"], r["value"]["end"], r["score"]) for r in labelled] == [
        (s.start, s.end, pytest.approx(s.score)) for s in docs[0].spans]
    records = [json.loads(x) for x in (tmp_path / "pred.records.jsonl").read_text().splitlines()]
    assert [(r["id"], r["types"]) for r in records] == [(d.id, d.types) for d in docs]


def test_fatal_errors_exit_101_and_write_nothing(run_dir, tmp_path, capsys):
    out = tmp_path / "pred.jsonl"
    assert predict(tmp_path / "no-model", ROOT / "seeds", out) == predict_mod.FATAL
    assert "does not exist" in capsys.readouterr().err
    assert predict(run_dir, tmp_path / "missing.jsonl", out) == predict_mod.FATAL
    assert "missing.jsonl: no such file or folder" in capsys.readouterr().err
    (tmp_path / "in.csv").write_text("id,text\n")
    assert predict(run_dir, tmp_path / "in.csv", out) == predict_mod.FATAL
    assert "unknown input kind '.csv'" in capsys.readouterr().err
    inp = write_jsonl(tmp_path / "in.jsonl", [doc_line(0, TEXTS[0])])
    assert predict(run_dir, inp, inp) == predict_mod.FATAL
    assert not out.exists()


def test_completed_ids_cuts_a_torn_last_line(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_bytes(b'{"id": "a", "text": "x"}\n{"id": "b", "te')
    assert predict_mod.completed_ids(out) == {"a"}
    assert out.read_bytes() == b'{"id": "a", "text": "x"}\n'
    assert predict_mod.completed_ids(tmp_path / "none.jsonl") == set()


@pytest.mark.slow
def test_resume_after_a_real_kill_equals_an_uninterrupted_run(run_dir, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [doc_line(i, f"{TEXTS[i % 5]} Nomor {i}.") for i in range(400)])
    cmd = [sys.executable, str(ROOT / "predict.py"), "--model", str(run_dir), "--input", str(inp),
           "--device", "cpu", "--precision", "fp32", "--batch-size", "1", "--no-progress", "--resume"]
    full, killed = tmp_path / "full.jsonl", tmp_path / "killed.jsonl"
    subprocess.run([*cmd, "--output", str(full)], check=True, capture_output=True)
    proc = subprocess.Popen([*cmd, "--output", str(killed)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not killed.exists() or killed.stat().st_size == 0):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(killed.read_bytes().splitlines())
    assert 0 < n_before < 400, "the kill must land mid-run"
    subprocess.run([*cmd, "--output", str(killed)], check=True, capture_output=True)
    assert killed.read_bytes() == full.read_bytes()
