"""Converters: round trips through every format, the errors they report, CoNLL on generated documents."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra.bio import bio_to_spans, spans_to_bio
from netra.cli import main
from netra.convert import (
    brat_ann,
    iob2_tags,
    parse_label_map,
    read_as,
    write_as,
)
from netra.docs import Doc, Relation, Span, write_docs
from netra.validate import InvalidData, read_docs
from netra.words import tokenize

NERGRIT = Path("/work/shared/corpora/indonlu/nergrit_ner-grit/train_preprocess.txt")


GOLD = Path(__file__).resolve().parents[1] / "seeds" / "gold.jsonl"


@pytest.fixture
def docs(tiny_doc) -> list[Doc]:
    """The gold seeds (once written), the hand-built document and an untyped one."""
    untyped = Doc("tiny-2", "Bawaslu Kabupaten Purwakarta mengawasi.", [Span(0, 28, "ORG")])
    return [*(read_docs(GOLD) if GOLD.exists() else []), tiny_doc, untyped]


def _round_trip(docs: list[Doc], fmt: str, tmp_path: Path, **read_opts) -> list[Doc]:
    out = tmp_path / f"out.{fmt}"
    write_as(docs, out, fmt)
    return read_as(out, fmt, **read_opts)


def _words(text: str) -> list[str]:
    return [w.text for w in tokenize(text)]


# ---------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("fmt, carries_relations", [("doccano", False), ("labelstudio", True), ("brat", True)])
def test_round_trip_keeps_text_spans_types_and_relations_the_format_carries(fmt, carries_relations, docs, tmp_path):
    back = _round_trip(docs, fmt, tmp_path)
    assert [d.id for d in back] == [d.id for d in docs]
    for before, after in zip(docs, back, strict=True):
        assert after.text == before.text
        assert after.spans == before.spans
        assert after.types == before.types
        assert after.relations == (before.relations if carries_relations else [])


def test_round_trip_through_doccano_and_labelstudio_keeps_meta(docs, tmp_path):
    for fmt in ("doccano", "labelstudio"):
        assert [d.meta for d in _round_trip(docs, fmt, tmp_path)] == [d.meta for d in docs]


def test_conll_round_trip_keeps_every_word_aligned_span_in_order(docs, tmp_path):
    back = _round_trip(docs, "conll", tmp_path)
    for before, after in zip(docs, back, strict=True):
        assert after.id == before.id
        assert _words(after.text) == _words(before.text)
        assert [(_words(s.text_of(after.text)), s.label) for s in after.spans] == [
            (_words(s.text_of(before.text)), s.label) for s in before.spans
        ]


def test_conll_export_reports_a_span_inside_a_word_and_does_not_hide_it(tmp_path):
    doc = Doc("d1", "Pemkab Purwakarta", [Span(3, 17, "ORG")])  # starts inside "Pemkab"
    problems = []
    write_as([doc], tmp_path / "x.conll", "conll", problems=problems)
    warning = next(str(p) for p in problems if "word edges" in p.message)
    assert "id=d1" in warning and "[3, 17) ORG 'kab Purwakarta'" in warning
    assert (tmp_path / "x.conll").read_text().splitlines()[2:4] == ["Pemkab\tB-ORG", "Purwakarta\tI-ORG"]


def test_conll_export_writes_one_sentence_per_line_of_text(tmp_path):
    doc = Doc("d1", "Judul\n\nBupati hadir.", [Span(7, 13, "ROLE")])
    write_as([doc], tmp_path / "x.conll", "conll")
    assert (tmp_path / "x.conll").read_text() == (
        "-DOCSTART-\td1\n\nJudul\tO\n\nBupati\tB-ROLE\nhadir\tO\n.\tO\n\n")


def test_write_as_reports_what_the_format_cannot_carry(tiny_doc, tmp_path):
    problems = []
    write_as([tiny_doc], tmp_path / "x.jsonl", "doccano", problems=problems)
    assert [p.message for p in problems] == ["doccano does not carry relations: left out for 1 document(s)"]


# ---------------------------------------------------------------------------------------------
# Importers: what they accept, and bad input reported with file, line and record


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_doccano_reader_accepts_older_labels_and_entity_objects_with_relations(tmp_path):
    path = _write(tmp_path / "d.jsonl", [
        json.dumps({"id": 7, "text": "Benni Irwan, Bupati", "labels": [[0, 11, "PER"]]}),
        json.dumps({"text": "Benni Irwan, Bupati",
                    "entities": [{"id": 4, "start_offset": 0, "end_offset": 11, "label": "PER"},
                                 {"id": 5, "start_offset": 13, "end_offset": 19, "label": "ROLE"}],
                    "relations": [{"id": 1, "from_id": 4, "to_id": 5, "type": "HOLDS"}]}),
    ])
    first, second = read_as(path, "doccano")
    assert (first.id, first.spans, first.types) == ("7", [Span(0, 11, "PER")], None)
    assert second.id == "d-2"
    assert second.spans == [Span(0, 11, "PER"), Span(13, 19, "ROLE")]
    assert second.relations == [Relation(0, 1, "HOLDS")]


def test_doccano_reader_reports_malformed_json_and_bad_bytes_by_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"text": "ok", "label": []}\n{"text": "broken"\n{"text": "caf\xe9"}\n')
    with pytest.raises(InvalidData) as exc:
        read_as(path, "doccano")
    assert str(exc.value).splitlines() == [
        f"{path}:2: malformed JSON: Expecting ',' delimiter at column 18 (each line must be one complete JSON object)",
        f"{path}:3: not valid UTF-8 (byte 13 of the line) (re-save the file as UTF-8)",
    ]


def test_label_map_renames_and_drops_labels_on_import(tmp_path):
    path = _write(tmp_path / "d.jsonl", [json.dumps({"id": "a", "text": "Benni di Bandung 2023",
                                                      "label": [[0, 5, "PERSON"], [9, 16, "GPE"], [17, 21, "YEAR"]]})])
    (doc,) = read_as(path, "doccano", label_map=parse_label_map("PERSON=PER,GPE=LOC,YEAR=O"))
    assert doc.spans == [Span(0, 5, "PER"), Span(9, 16, "LOC")]


def test_unknown_label_on_import_names_the_record_and_suggests_label_map(tmp_path):
    path = _write(tmp_path / "d.jsonl", [json.dumps({"id": "a", "text": "Benni", "label": [[0, 5, "PERSON"]]})])
    with pytest.raises(InvalidData) as exc:
        read_as(path, "doccano")
    assert str(exc.value).startswith(f"{path}:1: id=a: span 0 [0, 5) has unknown label 'PERSON'")
    assert "--label-map" in str(exc.value)


@pytest.mark.parametrize("text, message", [("PERSON", "is not SRC=DST"), ("PERSON=PERSONA", "not a netra label")])
def test_parse_label_map_rejects_bad_entries(text, message):
    with pytest.raises(ValueError, match=message):
        parse_label_map(text)


def _ls_task(text: str, region_text: str, **extra) -> dict:
    return {"id": 3, "data": {"text": text},
            "annotations": [{"result": [{"id": "r1", "type": "labels", "from_name": "label", "to_name": "text",
                                         "value": {"start": 0, "end": 5, "text": region_text, "labels": ["PER"]}},
                                        {"type": "choices", "from_name": "type", "to_name": "text",
                                         "value": {"choices": ["pledge"]}}]}], **extra}


def test_labelstudio_region_text_that_disagrees_with_offsets_is_an_error_not_a_shift(tmp_path):
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([_ls_task("Benni Irwan", "Benni", id=2), _ls_task(" Benni Irwan", "Benni")]))
    with pytest.raises(InvalidData) as exc:
        read_as(path, "labelstudio")
    assert str(exc.value) == (f"{path}: id=3: task 2: region r1 text 'Benni' differs from text[0:5] = ' Benn' "
                              "(the tool's offsets are wrong for this text; fix them there, netra does not shift them)")


def test_labelstudio_reads_predictions_with_scores_and_model_version(tmp_path):
    task = {"data": {"id": "p1", "text": "Benni Irwan"},
            "predictions": [{"model_version": "tagger-v2", "score": 0.9,
                             "result": [{"id": "a", "type": "labels", "from_name": "label", "to_name": "text",
                                         "score": 0.87, "value": {"start": 0, "end": 11, "labels": ["PER"]}}]}]}
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task]))
    (doc,) = read_as(path, "labelstudio")
    assert doc.spans == [Span(0, 11, "PER")] and doc.spans[0].score == 0.87
    assert doc.meta == {"model_version": "tagger-v2"} and doc.types is None


def test_labelstudio_export_of_scored_spans_is_a_prediction_that_reads_back(tmp_path):
    doc = Doc("p1", "Benni Irwan", [Span(0, 11, "PER", 0.75)], meta={"model_version": "m1"})
    back = _round_trip([doc], "labelstudio", tmp_path)
    task = json.loads((tmp_path / "out.labelstudio").read_text())[0]
    assert task["predictions"][0]["model_version"] == "m1" and "annotations" not in task
    assert back[0].spans[0].score == 0.75


def test_labelstudio_task_with_two_annotations_reads_the_first_and_warns(tmp_path):
    task = _ls_task("Benni Irwan", "Benni")
    task["annotations"].append({"result": []})
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task]))
    problems = []
    (doc,) = read_as(path, "labelstudio", problems=problems)
    assert doc.types == ["pledge"] and len(doc.spans) == 1
    assert [p.message for p in problems] == ["task 1: has 2 annotations; netra reads the first"]


def test_brat_span_text_mismatch_names_the_ann_file_and_line(tmp_path):
    (tmp_path / "a.txt").write_text("Benni Irwan hadir")
    (tmp_path / "a.ann").write_text("T1\tPER 0 5\tBenni\nT2\tPER 6 11\tIrwan hadir\n")
    with pytest.raises(InvalidData) as exc:
        read_as(tmp_path, "brat")
    assert str(exc.value).startswith(f"{tmp_path / 'a.ann'}:2: id=a: T2 text 'Irwan hadir' differs from text[6:11]")


def test_brat_discontinuous_span_and_dangling_relation_are_errors(tmp_path):
    (tmp_path / "a.txt").write_text("Benni Irwan hadir")
    (tmp_path / "a.ann").write_text("T1\tPER 0 5;6 11\tBenni Irwan\nR1\tHOLDS Arg1:T1 Arg2:T9\t\n")
    with pytest.raises(InvalidData) as exc:
        read_as(tmp_path, "brat")
    lines = str(exc.value).splitlines()
    assert lines[0].startswith(f"{tmp_path / 'a.ann'}:1: id=a: cannot read offsets '0 5;6 11'")
    assert lines[1].startswith(f"{tmp_path / 'a.ann'}:2: id=a: relation HOLDS T1 -> T9 names an undefined T")


def test_brat_keeps_absent_and_empty_types_apart():
    typed = brat_ann(Doc("a", "x", types=[]))
    assert typed == "#1\tArticleTypes DOC\t\n"
    assert brat_ann(Doc("a", "x")) == ""


@pytest.mark.parametrize("fmt, content", [("doccano", "\n"), ("labelstudio", "[]"), ("conll", "\n\n")])
def test_input_without_any_record_is_an_error_not_an_empty_output(fmt, content, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text(content)
    with pytest.raises(InvalidData) as exc:
        read_as(path, fmt)
    assert str(exc.value) == f"{path}: no documents found (the input is empty)"


def test_doccano_record_without_text_is_one_error_not_two(tmp_path):
    path = _write(tmp_path / "d.jsonl", [json.dumps({"id": "a", "content": "Benni"})])
    with pytest.raises(InvalidData) as exc:
        read_as(path, "doccano")
    assert [p.message for p in exc.value.problems] == ["expected an object with a string 'text'"]


def test_labelstudio_region_score_that_is_not_a_number_is_an_error(tmp_path):
    task = {"id": 1, "data": {"text": "Benni"},
            "predictions": [{"result": [{"id": "a", "type": "labels", "score": "high",
                                         "value": {"start": 0, "end": 5, "labels": ["PER"]}}]}]}
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task]))
    with pytest.raises(InvalidData, match=r"id=1: task 1: region a has score 'high'"):
        read_as(path, "labelstudio")


def test_labelstudio_per_region_choices_are_not_article_types(tmp_path):
    task = _ls_task("Benni Irwan", "Benni")
    task["annotations"][0]["result"].append(
        {"id": "r1", "type": "choices", "from_name": "gender", "to_name": "text",
         "value": {"start": 0, "end": 5, "choices": ["male"]}})
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task]))
    problems = []
    (doc,) = read_as(path, "labelstudio", problems=problems)
    assert doc.types == ["pledge"]
    assert [p.message for p in problems] == ["ignored 1 result(s) of type 'choices (per region)'"]


# ---------------------------------------------------------------------------------------------
# CoNLL import


def test_conll_without_docstart_makes_one_document_per_sentence(tmp_path, schema):
    path = _write(tmp_path / "train.txt", ["Benni\tB-PERSON", "Irwan\tI-PERSON", "hadir\tO", "",
                                           "Di\tO", "Bandung\tB-PLACE", ""])
    docs = read_as(path, "conll", label_map={"PERSON": "PER", "PLACE": "LOC", "ORGANISATION": "ORG"})
    assert [(d.id, d.text) for d in docs] == [("train-1", "Benni Irwan hadir"), ("train-2", "Di Bandung")]
    assert docs[0].spans == [Span(0, 11, "PER")] and docs[1].spans == [Span(3, 10, "LOC")]
    assert all(d.meta["annotated_labels"] == ["PER", "ORG", "LOC"] for d in docs)


def test_conll_docstart_separates_documents_and_joins_sentences_with_newlines(tmp_path):
    path = _write(tmp_path / "x.conll", ["-DOCSTART- -X- -X- O", "", "Bupati\tB-ROLE", "", "hadir\tO", "",
                                         "-DOCSTART-\tberita-2", "", "KPU\tB-ORG"])
    docs = read_as(path, "conll")
    assert [(d.id, d.text) for d in docs] == [("x-1", "Bupati\nhadir"), ("berita-2", "KPU")]
    assert docs[0].meta["annotated_labels"] == ["ROLE", "ORG"]


def test_conll_column_option_reads_a_three_column_crlf_file(tmp_path):
    path = tmp_path / "idner.txt"
    path.write_bytes(b"Anis PROPN B-PER\r\ndi ADP O\r\nSamarinda PROPN B-LOC\r\n\r\n")
    (doc,) = read_as(path, "conll")
    assert doc.text == "Anis di Samarinda" and [s.label for s in doc.spans] == ["PER", "LOC"]
    with pytest.raises(InvalidData, match=r"idner.txt:1: tag 'PROPN' is not O, B-X or I-X \(and 1 more"):
        read_as(path, "conll", column=1)


def test_conll_unknown_label_names_file_and_first_line_and_suggests_a_map(tmp_path):
    path = _write(tmp_path / "ugm.txt", ["Selasa\tB-TIME", "pagi\tI-TIME", "Jokowi\tB-PERSON", "", "Rabu\tB-TIME"])
    with pytest.raises(InvalidData) as exc:
        read_as(path, "conll", label_map={"PERSON": "PER"})
    assert str(exc.value) == (f"{path}:1: label 'TIME' is not a netra label (and 2 more line(s)) "
                              "(map it with --label-map TIME=<PER|ROLE|ORG|LOC|DATE|EVENT|LAW>, "
                              "or drop it with --label-map TIME=O)")
    docs = read_as(path, "conll", label_map={"PERSON": "PER", "TIME": "O"})
    assert [(d.text, d.spans) for d in docs] == [("Selasa pagi Jokowi", [Span(12, 18, "PER")]), ("Rabu", [])]
    assert docs[0].meta["annotated_labels"] == ["PER"]


def test_conll_skip_invalid_keeps_the_good_sentences_and_reports_the_rest(tmp_path):
    path = _write(tmp_path / "x.txt", ["Jokowi\tB-PER", "", "Rabu\tB-TIME", "", "KPU"])
    problems = []
    docs = read_as(path, "conll", skip_invalid=True, problems=problems)
    assert [d.text for d in docs] == ["Jokowi"]
    assert [(p.line, p.severity) for p in problems] == [(3, "error"), (5, "error")]


def test_conll_line_with_one_column_is_an_error_not_a_token_tagged_with_itself(tmp_path):
    path = _write(tmp_path / "x.txt", ["Benni\tB-PER", "hadir", ""])
    with pytest.raises(InvalidData) as exc:
        read_as(path, "conll")
    assert [(p.line, p.message) for p in exc.value.problems] == [(2, "line has 1 column(s)")]


def test_iob2_tags_reads_a_stray_i_tag_as_b_and_counts_it(schema):
    tags, bad, fixed = iob2_tags(["I-PERSON", "I-PERSON", "O", "B-PLACE", "I-PERSON", "X-LOC"],
                                 label_map={"PERSON": "PER", "PLACE": "LOC"}, schema=schema)
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "B-PER", "O"]
    assert fixed == [0, 4] and bad == [(5, "X-LOC")]


@pytest.mark.skipif(not NERGRIT.exists(), reason="the shared corpora are not on this machine")
def test_nergrit_train_imports_as_valid_netra_jsonl(tmp_path, capsys):
    start = time.perf_counter()
    code = main(["convert", str(NERGRIT), str(tmp_path / "nergrit.jsonl"), "--from", "conll", "--to", "netra",
                 "--label-map", "PERSON=PER,PLACE=LOC,ORGANISATION=ORG"])
    assert code == 0 and time.perf_counter() - start < 5
    docs = read_docs(tmp_path / "nergrit.jsonl")
    assert len(docs) == 1672 and docs[0].id == "train_preprocess-1"
    assert {s.label for d in docs for s in d.spans} == {"PER", "ORG", "LOC"}
    assert "wrote 1672 document(s)" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# The command


def test_convert_refuses_to_overwrite_and_writes_nothing_on_error(tiny_doc, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    write_docs(src, [tiny_doc])
    out = tmp_path / "out.json"
    out.write_text("keep me")
    assert main(["convert", str(src), str(out), "--from", "netra", "--to", "labelstudio"]) == 2
    assert out.read_text() == "keep me"
    bad = _write(tmp_path / "bad.jsonl", ['{"text": "Benni", "label": [[0, 5, "PERSON"]]}'])
    assert main(["convert", str(bad), str(tmp_path / "new.jsonl"), "--from", "doccano", "--to", "netra"]) == 1
    assert not (tmp_path / "new.jsonl").exists()
    assert "FAILED: 1 error(s); nothing written" in capsys.readouterr().err


def test_convert_reports_an_unwritable_output_without_a_traceback(tiny_doc, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    write_docs(src, [tiny_doc])
    (tmp_path / "a-file").write_text("")
    assert main(["convert", str(src), str(tmp_path / "a-file" / "out"), "--from", "netra", "--to", "brat"]) == 1
    assert "FAILED: cannot write" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Generated documents

LABELS = ["PER", "ROLE", "ORG", "LOC", "DATE", "EVENT", "LAW"]
WORD = st.text(alphabet="abcdeéKPU0123", min_size=1, max_size=6)
SEPARATOR = st.sampled_from([" ", "  ", "\n", " \n\n ", ", ", " (", ") ", "/", "\t"])


@st.composite
def generated_docs(draw) -> Doc:
    """A text of random words and separators, with random non-overlapping word-aligned spans on one line each."""
    n = draw(st.integers(1, 12))
    words = draw(st.lists(WORD, min_size=n, max_size=n))
    seps = draw(st.lists(SEPARATOR, min_size=n, max_size=n))
    text = "".join(w + s for w, s in zip(words, seps, strict=True)).strip()
    units = tokenize(text)
    spans = []
    i = 0
    while i < len(units):
        size = draw(st.integers(0, 3))  # 0: a word outside any span; spans may touch each other
        end = min(len(units), i + max(size, 1))
        if size and "\n" not in text[units[i].start : units[end - 1].end]:
            spans.append(Span(units[i].start, units[end - 1].end, draw(st.sampled_from(LABELS))))
        i = end
    return Doc("g", text, spans)


@settings(max_examples=100, deadline=None)
@given(generated_docs())
def test_spans_to_bio_to_spans_is_identity_for_word_aligned_spans(doc):
    words = tokenize(doc.text)
    assert bio_to_spans(words, spans_to_bio(words, doc.spans)) == doc.spans


@settings(max_examples=100, deadline=None)
@given(generated_docs())
def test_conll_round_trip_keeps_span_words_and_labels(doc):
    with tempfile.TemporaryDirectory() as tmp:
        (back,) = _round_trip([doc], "conll", Path(tmp))
    assert [(_words(s.text_of(back.text)), s.label) for s in back.spans] == [
        (_words(s.text_of(doc.text)), s.label) for s in doc.spans
    ]
