"""`netra stats`: counts, span lengths, rare labels and duplicate texts."""

from __future__ import annotations

import json

from netra.cli import main
from netra.docs import Doc, Relation, Span, write_docs
from netra.stats import compute_stats, find_duplicates, span_words
from netra.words import tokenize


def test_span_words_counts_every_word_the_span_touches():
    words = tokenize("Rabu (11/10/2023) di Purwakarta")
    starts, ends = [w.start for w in words], [w.end for w in words]
    assert span_words(starts, ends, 0, 17) == 8  # Rabu ( 11 / 10 / 2023 )
    assert span_words(starts, ends, 2, 4) == 1  # inside "Rabu"
    assert span_words(starts, ends, 17, 18) == 0  # the space between words


def test_exact_duplicates_ignore_case_and_whitespace():
    dups = find_duplicates([("a", "Pemilu 2024 aman"), ("b", "pemilu\n2024  AMAN"), ("c", "Pilkada 2024 aman")])
    assert dups == [{"kind": "exact", "ids": ["a", "b"]}]


def test_near_duplicates_need_a_shingle_jaccard_of_at_least_point_eight():
    base = "ASN Pemkab Purwakarta menandatangani pakta integritas netralitas menjelang Pemilu 2024 di Hotel Aston"
    one_word_added = base + " kemarin"  # 9 five-word shingles, 10 with the added word: Jaccard 0.9
    one_word_changed = base.replace("integritas", "kesetiaan")  # 5 of 9 shingles differ: Jaccard 4/14
    dups = find_duplicates([("a", base), ("b", one_word_added), ("c", one_word_changed)])
    assert dups == [{"kind": "near", "ids": ["a", "b"], "jaccard": 0.9}]


def _docs() -> list[Doc]:
    text = "Bupati Purwakarta Benni Irwan hadir di Purwakarta, Rabu (11/10/2023)."
    return [
        Doc("a", text, [Span(0, 17, "ROLE"), Span(18, 29, "PER"), Span(39, 49, "LOC"), Span(51, 68, "DATE")],
            types=["pledge"], relations=[Relation(1, 0)]),
        Doc("b", "Benni Irwan di Bandung.", [Span(0, 11, "PER")], types=["pledge", "other"]),
        Doc("c", "Jokowi di Solo.", [Span(0, 6, "PER")], meta={"annotated_labels": ["PER", "LOC"]}),
    ]


def test_compute_stats_counts_spans_types_relations_and_lengths(schema):
    stats = compute_stats(_docs(), schema=schema)
    assert (stats["documents"], stats["words"], stats["spans"]) == (3, 17 + 5 + 4, 6)
    assert stats["span_labels"]["PER"] == {"spans": 3, "annotated_documents": 3, "words_min": 1,
                                           "words_median": 2, "words_max": 2}
    assert stats["span_labels"]["DATE"]["words_max"] == 8
    assert stats["span_labels"]["ROLE"]["annotated_documents"] == 2  # "c" was annotated for PER and LOC only
    assert stats["article_types"] == {"pledge": 2, "socialization": 0, "political_education": 0, "other": 1}
    assert stats["typed_documents"] == 2 and stats["relations"] == {"HOLDS": 1}
    assert stats["rare_span_labels"] == list(schema.span_labels)  # all below 5 examples
    assert stats["duplicates"] == []


def test_labels_no_document_was_annotated_for_are_listed_apart_not_as_rare(schema):
    corpus = [Doc(f"n{i}", "Jokowi di Solo.", [Span(0, 6, "PER"), Span(10, 14, "LOC")],
                  meta={"annotated_labels": ["PER", "ORG", "LOC"]}) for i in range(5)]
    nothing = Doc("x", "Kosong.", meta={"annotated_labels": []})  # every source label was mapped to O
    stats = compute_stats([*corpus, nothing], schema=schema)
    assert stats["unannotated_span_labels"] == ["ROLE", "DATE", "EVENT", "LAW"]
    assert stats["rare_span_labels"] == ["ORG"]
    assert stats["span_labels"]["PER"]["annotated_documents"] == 5


def test_stats_command_on_gold_shows_five_documents_and_all_seven_labels(gold_path, schema, capsys):
    assert main(["stats", str(gold_path)]) == 0
    out = capsys.readouterr().out
    assert "documents  5 " in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    for label in schema.span_labels:
        assert int(rows[label][1]) > 0, label


def test_stats_json_reports_bad_records_and_counts_the_rest(tmp_path, capsys):
    path = tmp_path / "docs.jsonl"
    write_docs(path, _docs())
    with path.open("a", encoding="utf-8") as f:
        f.write('{"id": "broken"\n')
    assert main(["stats", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    stats = json.loads(captured.out)
    assert stats["documents"] == 3 and stats["input_errors"] == 1
    assert f"{path}:4: id=broken: malformed JSON" in captured.err


def test_duplicates_across_files_name_the_file(tmp_path, capsys):
    doc = Doc("x", "Pemilu 2024 aman.")
    write_docs(tmp_path / "train.jsonl", [doc])
    write_docs(tmp_path / "test.jsonl", [doc])
    assert main(["stats", str(tmp_path / "train.jsonl"), str(tmp_path / "test.jsonl"), "--json"]) == 0
    dups = json.loads(capsys.readouterr().out)["duplicates"]
    assert dups == [{"kind": "exact", "ids": [f"{tmp_path / 'train.jsonl'}:x", f"{tmp_path / 'test.jsonl'}:x"]}]
