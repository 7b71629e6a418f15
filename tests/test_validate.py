"""`netra validate`: each defect class planted in a copy of the gold seeds is reported with file, line and id."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from netra.cli import main
from netra.validate import read_docs

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "seeds" / "gold.jsonl"


@pytest.fixture
def seed_objs(tiny_doc) -> list[dict]:
    """The gold seeds as JSON objects; two hand-built documents while the gold file is absent."""
    if GOLD.exists():
        return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    second = copy.deepcopy(tiny_doc)
    second.id = "tiny-2"
    return [tiny_doc.to_dict(), second.to_dict()]


def _jsonl(objs: list[dict]) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs).encode("utf-8")


def _edit(change: Callable[[dict], None]) -> Callable[[list[dict]], bytes]:
    """A defect planted in the document on line 2."""

    def plant(objs: list[dict]) -> bytes:
        objs = copy.deepcopy(objs)
        change(objs[1])
        return _jsonl(objs)

    return plant


def _truncate_line_2(objs: list[dict]) -> bytes:
    lines = _jsonl(objs).splitlines(keepends=True)
    lines[1] = lines[1][:-10] + b"\n"
    return b"".join(lines)


def _latin1_byte_in_line_2(objs: list[dict]) -> bytes:
    lines = _jsonl(objs).splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"text": "', b'"text": "\xff', 1)
    return b"".join(lines)


def _set(key: str, value) -> Callable[[dict], None]:
    return lambda o: o.__setitem__(key, value)


def _span0(**fields) -> Callable[[dict], None]:
    def change(o: dict) -> None:
        o["spans"][0].update(fields)
        if {"start", "end"} & fields.keys():
            o["spans"][0].pop("text", None)

    return change


def _end_past_text(o: dict) -> None:
    o["spans"][0]["end"] = len(o["text"]) + 5
    o["spans"][0].pop("text")


def _empty_start(o: dict) -> None:
    o["spans"][0]["start"] = o["spans"][0]["end"]
    o["spans"][0].pop("text")


def _overlap(o: dict) -> None:
    first = o["spans"][0]
    o["spans"].append({"start": first["start"], "end": first["end"], "label": "ORG"})


def _reverse_relation(o: dict) -> None:
    r = o["relations"][0]
    r["head"], r["tail"] = r["tail"], r["head"]


def _empty_text(o: dict) -> None:
    o.update(text="   ", spans=[], relations=[])


DEFECTS: dict[str, tuple[Callable[[list[dict]], bytes], str]] = {
    "malformed JSON": (_truncate_line_2, "malformed JSON"),
    "not UTF-8": (_latin1_byte_in_line_2, "not valid UTF-8"),
    "missing field": (_edit(lambda o: o.pop("text")), "missing required field 'text'"),
    "wrong type": (_edit(_span0(start="0")), "start and end must be integers"),
    "duplicate id": (lambda objs: _jsonl([objs[0], {**objs[1], "id": objs[0]["id"]}, *objs[2:]]),
                     "duplicate id (first used on line 1)"),
    "empty text": (_edit(_empty_text), "'text' is empty"),
    "offsets out of range": (_edit(_end_past_text), "is out of range for a text of length"),
    "start >= end": (_edit(_empty_start), ">= end"),
    "overlapping spans": (_edit(_overlap), "overlaps span"),
    "unknown label": (_edit(_span0(label="PERSON")), "unknown label 'PERSON'"),
    "unknown type": (_edit(_set("types", ["election"])), "unknown article type 'election'"),
    "span text mismatch": (_edit(_span0(text="not the text")), "'not the text' differs from text["),
    "relation index out of range": (_edit(lambda o: o["relations"].append({"head": 0, "tail": 999})),
                                    "points at span 0 -> 999"),
    "HOLDS not PER -> ROLE": (_edit(_reverse_relation), "HOLDS goes ROLE -> PER"),
    "label outside annotated_labels": (_edit(lambda o: o["meta"].update(annotated_labels=["PER"])),
                                       "not in meta.annotated_labels"),
}
UNPARSEABLE = {"malformed JSON", "not UTF-8"}  # no id can be read from these lines


def _validate(path: Path, capsys) -> tuple[int, list[str]]:
    code = main(["validate", str(path)])
    return code, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_planted_defect_fails_with_file_line_and_id(defect, seed_objs, tmp_path, capsys):
    plant, message = DEFECTS[defect]
    path = tmp_path / "seeds.jsonl"
    path.write_bytes(plant(seed_objs))
    code, lines = _validate(path, capsys)
    doc_id = seed_objs[0 if defect == "duplicate id" else 1]["id"]
    where = f"{path}:2:" if defect in UNPARSEABLE else f"{path}:2: id={doc_id}:"
    assert code == 1
    assert any(line.startswith(where) and message in line for line in lines), lines
    assert lines[-1].startswith("FAILED:")


def test_empty_file_fails_naming_the_file(tmp_path, capsys):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    code, lines = _validate(path, capsys)
    assert code == 1
    assert f"{path}: file is empty (give it one JSON document per line)" in lines


def test_span_with_whitespace_edge_is_a_warning_with_exit_0(seed_objs, tmp_path, capsys):
    objs = copy.deepcopy(seed_objs)
    doc = objs[1]
    spans = doc["spans"]
    # widen the first span that has a space before it and room to grow
    i = next(k for k, s in enumerate(spans)
             if doc["text"][s["start"] - 1] == " " and (k == 0 or spans[k - 1]["end"] < s["start"] - 1))
    spans[i]["start"] -= 1
    spans[i]["text"] = doc["text"][spans[i]["start"] : spans[i]["end"]]
    path = tmp_path / "seeds.jsonl"
    path.write_bytes(_jsonl(objs))
    code, lines = _validate(path, capsys)
    assert code == 0
    assert any(line.startswith(f"{path}:2: id={doc['id']}: warning: span {i} ") and "whitespace" in line
               for line in lines), lines


def test_gold_seeds_validate_clean(gold_path, capsys):
    code, lines = _validate(gold_path, capsys)
    assert code == 0, lines
    assert read_docs(gold_path)


@pytest.mark.slow
def test_python_dash_m_netra_validate_exits_1_on_a_planted_defect(seed_objs, tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_bytes(DEFECTS["unknown label"][0](seed_objs))
    proc = subprocess.run([sys.executable, "-m", "netra", "validate", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert f"{path}:2: id={seed_objs[1]['id']}: span 0 " in proc.stdout
