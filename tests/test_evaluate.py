"""Tests of netra.evaluate on hand-built documents with hand-computed expectations."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra.cli import main
from netra.docs import Doc, Relation, Span, write_docs
from netra.evaluate import (
    HEADLINE,
    SpanMatch,
    TextMismatch,
    _overlapping_pairs,
    align_spans,
    comparison_table,
    evaluate_docs,
    evaluate_files,
    headline_table,
    per_type_table,
)

REPO = Path(__file__).resolve().parents[1]
SEED_GOLD = REPO / "seeds" / "gold.jsonl"

TEXT = "Pj Bupati Purwakarta Benni Irwan hadir bersama KASN di Purwakarta jelang Pemilu 2024 pada hari Rabu."


def sp(text: str, sub: str, label: str, nth: int = 0) -> Span:
    """The span of the nth occurrence of `sub` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return Span(start, start + len(sub), label)


def gold_doc() -> Doc:
    return Doc(
        "d1",
        TEXT,
        spans=[
            sp(TEXT, "Pj Bupati Purwakarta", "ROLE"),
            sp(TEXT, "Benni Irwan", "PER"),
            sp(TEXT, "KASN", "ORG"),
            sp(TEXT, "Purwakarta", "LOC", nth=1),
            sp(TEXT, "Pemilu 2024", "EVENT"),
        ],
        types=["pledge", "socialization"],
        relations=[Relation(1, 0)],
    )


def all_metric_values(m: dict) -> dict[str, float]:
    keys = [k for k in m if k.startswith(("ents_", "spans_", "types_", "holds_")) and isinstance(m[k], float)]
    out = {k: m[k] for k in keys}
    for group in ("ents_per_type", "types_per_label"):
        for label, row in m[group].items():
            out.update({f"{group}.{label}.{k}": row[k] for k in ("p", "r", "f")})
    return out


def test_perfect_prediction_scores_one_everywhere():
    gold = [gold_doc(), Doc("d2", "Rabu (11/10/2023) di Bandung", [Span(0, 17, "DATE")], types=["other"])]
    m = evaluate_docs(gold, [d.sorted() for d in gold])
    values = all_metric_values(m)
    assert len(values) > 20
    assert values == dict.fromkeys(values, 1.0)
    assert set(m["ents_per_type"]) == {"ROLE", "PER", "ORG", "LOC", "EVENT", "DATE"}
    assert m["n_docs"] == 2 and m["missing_ids"] == [] and m["extra_ids"] == []


def test_empty_prediction_scores_zero_without_division_error_or_warnings():
    gold = [gold_doc()]
    pred = [Doc("d1", TEXT, types=[])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = evaluate_docs(gold, pred)
        nothing_anywhere = evaluate_docs([Doc("e", "tanpa entitas")], [Doc("e", "tanpa entitas")])
    values = all_metric_values(m)
    assert values and values == dict.fromkeys(values, 0.0)
    assert m["span_counts"]["missed"] == 5 and m["span_counts"]["pred"] == 0
    assert m["ents_per_type"]["PER"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 1}
    assert all_metric_values(nothing_anywhere) == dict.fromkeys(all_metric_values(nothing_anywhere), 0.0)


def test_boundary_label_missed_and_spurious_errors_give_hand_computed_scores():
    pred = Doc(
        "d1",
        TEXT,
        spans=[
            sp(TEXT, "Pj Bupati", "ROLE"),  # wrong boundary (gold: Pj Bupati Purwakarta)
            sp(TEXT, "Benni Irwan", "PER"),  # correct
            sp(TEXT, "KASN", "LOC"),  # wrong label (gold: ORG)
            # LOC "Purwakarta" (second one) missed
            sp(TEXT, "Pemilu 2024", "EVENT"),  # correct
            sp(TEXT, "Rabu", "DATE"),  # spurious
        ],
    )
    m = evaluate_docs([gold_doc()], [pred])
    # POS = 5 gold spans, ACT = 5 predicted spans, COR = 2, PAR = 1 (the boundary error).
    # strict: P = R = 2/5 = 0.4, F = 0.4
    # partial: P = R = (2 + 0.5 * 1) / 5 = 0.5, F = 0.5
    assert m["spans_exact_p"] == pytest.approx(0.4)
    assert m["spans_exact_r"] == pytest.approx(0.4)
    assert m["spans_exact_f"] == pytest.approx(0.4)
    assert m["spans_partial_p"] == pytest.approx(0.5)
    assert m["spans_partial_r"] == pytest.approx(0.5)
    assert m["spans_partial_f"] == pytest.approx(0.5)
    # Every edge falls on a word edge, so seqeval strict agrees with exact spans: 2 of 5 and 2 of 5.
    assert (m["ents_p"], m["ents_r"], m["ents_f"]) == pytest.approx((0.4, 0.4, 0.4))
    # Per type F: PER 1, EVENT 1, ROLE 0, ORG 0, LOC 0 (KASN predicted, Purwakarta missed),
    # DATE 0 (spurious only). Macro over the 6 types seen in gold or pred = 2/6.
    assert m["ents_macro_f"] == pytest.approx(1 / 3)
    assert m["ents_per_type"]["LOC"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 1}
    assert m["ents_per_type"]["DATE"]["support"] == 0
    assert list(m["ents_per_type"]) == ["PER", "ROLE", "ORG", "LOC", "DATE", "EVENT"]  # schema order
    assert m["span_counts"] == {
        "gold": 5, "pred": 5, "correct": 2, "wrong_label": 1, "wrong_boundary": 1,
        "both_wrong": 0, "missed": 1, "spurious": 1,
    }


def test_partial_score_divides_by_predicted_and_gold_counts():
    text = "Bupati Bandung Dadang Supriatna"
    gold = Doc("d", text, [sp(text, "Bupati Bandung", "ROLE"), sp(text, "Dadang Supriatna", "PER")])
    pred = Doc("d", text, [sp(text, "Bandung", "ROLE")])
    m = evaluate_docs([gold], [pred])
    # COR = 0, PAR = 1, ACT = 1, POS = 2: P = 0.5 / 1, R = 0.5 / 2, F = 2 * 0.5 * 0.25 / 0.75 = 1/3
    assert (m["spans_partial_p"], m["spans_partial_r"]) == pytest.approx((0.5, 0.25))
    assert m["spans_partial_f"] == pytest.approx(1 / 3)
    assert m["spans_exact_f"] == 0.0


def test_align_spans_pairs_one_to_one_and_names_each_error_kind():
    gold = [Span(0, 10, "ROLE"), Span(12, 20, "PER"), Span(30, 40, "ORG"), Span(50, 55, "LOC")]
    pred = [
        Span(0, 6, "ROLE"),  # overlaps gold 0 with the same label
        Span(7, 10, "ROLE"),  # overlaps gold 0 less, and gold 0 is taken: spurious
        Span(12, 18, "ORG"),  # other label and other boundary
        Span(30, 40, "LOC"),  # same boundary, other label
        Span(60, 62, "DATE"),
    ]
    got = align_spans(gold, pred)
    assert got == [
        SpanMatch(gold[0], pred[0], "wrong_boundary"),
        SpanMatch(None, pred[1], "spurious"),
        SpanMatch(gold[1], pred[2], "both_wrong"),
        SpanMatch(gold[2], pred[3], "wrong_label"),
        SpanMatch(gold[3], None, "missed"),
        SpanMatch(None, pred[4], "spurious"),
    ]


def test_align_spans_prefers_same_label_over_larger_overlap():
    gold = [Span(0, 10, "PER")]
    pred = [Span(0, 8, "ORG"), Span(8, 10, "PER")]
    kinds = {m.pred: m.kind for m in align_spans(gold, pred)}
    assert kinds == {pred[0]: "spurious", pred[1]: "wrong_boundary"}


spans_strategy = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 30)).map(lambda t: Span(t[0], t[0] + t[1], "PER")), max_size=12
)


@given(spans_strategy, spans_strategy)
def test_overlapping_pairs_equal_brute_force_even_for_nested_spans(gold, pred):
    brute = {(i, j) for i, g in enumerate(gold) for j, p in enumerate(pred) if g.overlaps(p)}
    assert set(_overlapping_pairs(gold, pred)) == brute


def test_span_edge_inside_a_word_counts_for_seqeval_but_not_for_character_spans():
    text = "di Kab.Bandung"
    gold = Doc("d", text, [Span(3, 14, "LOC")])
    pred = Doc("d", text, [Span(4, 14, "LOC")])  # starts inside the word "Kab"
    m = evaluate_docs([gold], [pred])
    assert m["ents_f"] == 1.0  # both tag Kab . Bandung as one LOC
    assert m["spans_exact_f"] == 0.0
    assert m["spans_partial_f"] == 0.5


def test_type_metrics_match_hand_worked_example():
    def doc(i: int, types: list[str] | None) -> Doc:
        return Doc(f"t{i}", "teks", types=types)

    gold = [
        doc(1, ["pledge", "socialization"]),
        doc(2, ["socialization"]),
        doc(3, ["other"]),
        doc(4, ["pledge"]),
        doc(5, None),  # no type annotation: not counted
    ]
    pred = [
        doc(1, ["pledge"]),
        doc(2, ["socialization", "political_education"]),
        doc(3, ["other"]),
        doc(4, ["socialization"]),
        doc(5, ["pledge"]),
    ]
    m = evaluate_docs(gold, pred)
    # per type (TP, FP, FN): pledge (1, 0, 1) -> P 1, R 1/2, F 2/3
    #   socialization (1, 1, 1) -> 1/2, 1/2, 1/2; political_education (0, 1, 0) -> 0; other (1, 0, 0) -> 1
    # micro: TP 3, FP 2, FN 2 -> P = R = F = 3/5
    # macro over the 4 types seen: (2/3 + 1/2 + 0 + 1) / 4 = 13/24
    # samples: t1 2/3, t2 2/3, t3 1, t4 0 -> 7/12; subset accuracy: only t3 -> 1/4
    assert m["n_typed_docs"] == 4
    assert m["types_micro_f"] == pytest.approx(3 / 5)
    assert m["types_macro_f"] == pytest.approx(13 / 24)
    assert m["types_samples_f"] == pytest.approx(7 / 12)
    assert m["types_subset_acc"] == pytest.approx(1 / 4)
    assert m["types_per_label"]["pledge"] == pytest.approx({"p": 1.0, "r": 0.5, "f": 2 / 3, "support": 2})
    assert m["types_per_label"]["political_education"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 0}
    assert m["types_confusion"]["socialization"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}


def test_holds_counts_only_relations_between_exactly_matched_spans():
    text = "Bupati Benni Irwan dan Sekda Iwan Setiawan hadir."
    role1, per1 = sp(text, "Bupati", "ROLE"), sp(text, "Benni Irwan", "PER")
    role2, per2 = sp(text, "Sekda", "ROLE"), sp(text, "Iwan Setiawan", "PER")
    gold = Doc("r", text, [role1, per1, role2, per2], relations=[Relation(1, 0), Relation(3, 2)])
    short = Span(per2.start, per2.start + 4, "PER")  # "Iwan": wrong boundary
    pred = Doc(
        "r", text, [role1, per1, role2, short],
        relations=[Relation(1, 0), Relation(3, 2), Relation(1, 2)],
    )
    m = evaluate_docs([gold], [pred])
    # correct: Benni -> Bupati. Wrong: Iwan -> Sekda (span not exact), Benni -> Sekda (not in gold).
    # P = 1/3, R = 1/2, F = 2 * (1/6) / (5/6) = 0.4
    assert (m["holds_p"], m["holds_r"], m["holds_f"]) == pytest.approx((1 / 3, 1 / 2, 0.4))
    assert m["holds_counts"] == {"gold": 2, "pred": 3, "correct": 1}


def test_missing_document_counts_as_predicting_nothing_and_extra_ones_are_ignored():
    other = Doc("d2", "Rabu di Bandung", [Span(0, 4, "DATE")], types=["other"])
    m = evaluate_docs([gold_doc(), other], [gold_doc(), Doc("zz", "lain", [Span(0, 4, "LOC")])])
    assert m["missing_ids"] == ["d2"] and m["extra_ids"] == ["zz"]
    assert m["n_docs"] == 2
    # 5 of 6 gold spans found, none predicted wrongly: P = 1, R = 5/6
    assert (m["spans_exact_p"], m["spans_exact_r"]) == pytest.approx((1.0, 5 / 6))
    assert m["types_subset_acc"] == pytest.approx(0.5)


def test_text_mismatch_raises_naming_the_id():
    changed = Doc("d1", TEXT.replace("KASN", "BKN!"), [])
    with pytest.raises(TextMismatch, match=r"id=d1: .*character 47") as info:
        evaluate_docs([gold_doc()], [changed])
    assert isinstance(info.value, ValueError)


def test_predictions_of_labels_the_gold_was_not_annotated_for_are_ignored():
    text = "Benni Irwan di Purwakarta pada Rabu"
    gold = Doc("c", text, [sp(text, "Benni Irwan", "PER")], meta={"annotated_labels": ["PER", "LOC"]})
    pred = Doc("c", text, [sp(text, "Benni Irwan", "PER"), sp(text, "Purwakarta", "LOC"), sp(text, "Rabu", "DATE")])
    m = evaluate_docs([gold], [pred])
    # DATE was never annotated, so only PER (correct) and LOC (spurious) are judged.
    assert m["span_counts"]["pred"] == 2
    assert m["spans_exact_p"] == pytest.approx(0.5)
    assert "DATE" not in m["ents_per_type"]


def test_comparison_table_puts_systems_side_by_side():
    perfect = evaluate_docs([gold_doc()], [gold_doc()])
    empty = evaluate_docs([gold_doc()], [Doc("d1", TEXT)])
    lines = comparison_table({"baseline": empty, "model": perfect}).splitlines()
    assert lines[0].split() == ["metric", "baseline", "model"]
    assert len(lines) == 2 + len(HEADLINE)
    assert lines[2 + 2].split() == ["entities", "F", "0.000", "1.000"]
    assert "entities F" in headline_table(perfect) and "1.000" in headline_table(perfect)
    per_type = per_type_table({"baseline": empty, "model": perfect}).splitlines()
    assert per_type[0].split() == ["type", "support", "baseline", "F", "model", "F"]
    assert per_type[2].split() == ["PER", "1", "0.000", "1.000"]


def make_files(tmp_path: Path, pred: list[Doc]) -> tuple[Path, Path]:
    gold_path, pred_path = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    write_docs(gold_path, [gold_doc()])
    write_docs(pred_path, pred)
    return gold_path, pred_path


EVERY_KEY = {
    "ents_p", "ents_r", "ents_f", "ents_macro_f", "ents_per_type", "spans_exact_p", "spans_exact_r",
    "spans_exact_f", "spans_partial_p", "spans_partial_r", "spans_partial_f", "types_micro_f",
    "types_macro_f", "types_samples_f", "types_subset_acc", "types_per_label", "holds_p", "holds_r",
    "holds_f", "n_docs", "missing_ids", "config",
}


def test_evaluate_files_writes_metrics_and_both_reports(tmp_path):
    gold_path, pred_path = make_files(tmp_path, [Doc("d1", TEXT, [sp(TEXT, "KASN", "ORG")])])
    m = evaluate_files(gold_path, pred_path, tmp_path / "out", title="uji")
    on_disk = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))
    assert EVERY_KEY <= set(on_disk)
    assert on_disk["spans_exact_r"] == pytest.approx(0.2) == m["spans_exact_r"]
    assert on_disk["config"]["gold"] == str(gold_path)
    assert len(on_disk["config"]["pred_sha256"]) == 64
    assert (tmp_path / "out" / "report.md").read_text(encoding="utf-8").startswith("# uji\n")
    assert "<!DOCTYPE html>" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_evaluate_command_prints_headline_and_where_it_wrote(tmp_path, capsys):
    gold_path, pred_path = make_files(tmp_path, [gold_doc()])
    out = tmp_path / "out"
    assert main(["evaluate", "--gold", str(gold_path), "--pred", str(pred_path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "HOLDS F           1.000" in printed
    assert str(out / "report.html") in printed


def test_evaluate_command_exits_1_with_the_validator_line_on_invalid_predictions(tmp_path, capsys):
    gold_path, pred_path = make_files(tmp_path, [])
    bad = {"id": "d1", "text": TEXT, "spans": [{"start": 0, "end": 500, "label": "PER"}]}
    pred_path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["evaluate", "--gold", str(gold_path), "--pred", str(pred_path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{pred_path}:1: id=d1: span 0 [0, 500) is out of range" in err
    assert not out.exists()


def test_evaluate_command_exits_1_naming_the_id_when_texts_differ(tmp_path, capsys):
    gold_path, pred_path = make_files(tmp_path, [Doc("d1", TEXT + " Tambahan.")])
    assert main(["evaluate", "--gold", str(gold_path), "--pred", str(pred_path), "--out", str(tmp_path / "o")]) == 1
    assert "id=d1: the predicted text differs" in capsys.readouterr().err


@pytest.mark.skipif(not SEED_GOLD.exists(), reason="seeds/gold.jsonl not written yet")
def test_seed_gold_against_itself_scores_one_and_writes_every_key(tmp_path):
    m = evaluate_files(SEED_GOLD, SEED_GOLD, tmp_path)
    values = all_metric_values(m)
    assert values == dict.fromkeys(values, 1.0)
    assert m["span_counts"]["gold"] > 100 and m["holds_counts"]["gold"] > 0
    assert EVERY_KEY <= set(json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8")))
    assert "| entities F | 1.000 |" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_records_keys_drop_when_predicted_spans_miss_an_official():
    text = "Penjabat Bupati Purwakarta, Benni Irwan, membuka sosialisasi Pemilu 2024 di Purwakarta."
    role = Span(0, 26, "ROLE")
    per = Span(28, 39, "PER")
    event = Span(61, 72, "EVENT")
    gold = Doc("d1", text, [role, per, event], types=["socialization"], relations=[Relation(1, 0)])
    pred = Doc("d1", text, [event], types=["socialization"])
    m = evaluate_docs([gold], [pred])
    assert m["records_n"] == 1
    assert m["records_types_acc"] == 1.0
    assert m["records_elections_f"] == 1.0
    # gold has one official (Benni Irwan, Penjabat Bupati Purwakarta); the prediction has none
    assert m["records_officials_r"] == 0.0
    assert evaluate_docs([gold], [gold])["records_officials_f"] == 1.0
