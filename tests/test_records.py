import argparse
import csv
import importlib.util
import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from netra.docs import Doc, Relation, Span
from netra.records import (
    CSV_COLUMNS,
    add_arguments,
    article_layout,
    build_record,
    records_field_accuracy,
    records_to_csv,
    render_html,
    run,
    sentence_bounds,
)
from netra.schema import load_schema
from netra.validate import read_docs

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

FILLER = " ".join(["kata"] * 20)
TEXT = (
    "Jelang Pemilu 2024, ASN Netral\n"
    "Share\n"
    f"KOTA – Pemerintah Kabupaten (Pemkab) Contoh menggelar sosialisasi {FILLER} di Gedung Serbaguna, "
    "Rabu (11/10/2023).\n"
    "Kegiatan dibuka Pj Bupati Contoh, Budi Santoso. Hadir Sekda, Ani.\n"
    "Baca Juga : Rapat lain Kamis (12/10/2023) dengan Pilkada 2024\n"
    "\u201cASN wajib netral sesuai UU Nomor 20 Tahun 2023,\u201d kata Budi.\n"
    "Leave a Reply\n"
    "Kepala Dinas, Ahmad Teaser hadir pada Pileg.\n"
)


def sp(sub: str, label: str, nth: int = 1) -> Span:
    start = -1
    for _ in range(nth):
        start = TEXT.index(sub, start + 1)
    return Span(start, start + len(sub), label)


def fixture_doc(**kwargs) -> Doc:
    spans = [
        sp("Pemilu 2024", "EVENT"), sp("KOTA", "LOC"), sp("Pemerintah Kabupaten (Pemkab) Contoh", "ORG"),
        sp("Gedung Serbaguna", "LOC"), sp("Rabu (11/10/2023)", "DATE"), sp("Pj Bupati Contoh", "ROLE"),
        sp("Budi Santoso", "PER"), sp("Sekda", "ROLE"), sp("Ani", "PER"), sp("Kamis (12/10/2023)", "DATE"),
        sp("Pilkada 2024", "EVENT"), sp("UU Nomor 20 Tahun 2023", "LAW"), sp("Budi", "PER", 2),
        sp("Kepala Dinas", "ROLE"), sp("Ahmad Teaser", "PER"), sp("Pileg", "EVENT"),
    ]
    return Doc("d1", TEXT, spans=spans, types=["socialization"], **kwargs)


def test_layout_finds_lead_dateline_and_cuts_teasers_and_trailer():
    layout = article_layout(TEXT)
    assert TEXT[layout.lead[0] : layout.lead[0] + 4] == "KOTA"
    assert TEXT[layout.lead[0] : layout.dateline_end] == "KOTA"
    assert layout.in_content(sp("Pemilu 2024", "EVENT"))  # headline is content
    assert not layout.in_content(sp("Pilkada 2024", "EVENT"))  # "Baca Juga" teaser
    assert not layout.in_content(sp("Ahmad Teaser", "PER"))  # after "Leave a Reply"
    assert not layout.in_body(sp("Pemilu 2024", "EVENT"))  # headline is not body


def test_sentence_ends_are_not_taken_from_full_stops_inside_spans():
    text = "Hadir Pjs. Bupati, Dikky. Lalu tahun 2024.Karena itu S.Sos.M.Si pulang."
    spans = [Span(6, 17, "ROLE")]
    pieces = [text[a:b] for a, b in sentence_bounds(text, spans=spans)]
    assert pieces == ["Hadir Pjs. Bupati, Dikky.", "Lalu tahun 2024.", "Karena itu S.Sos.M.Si pulang."]


def test_record_fields_come_from_body_lead_and_holds():
    rec = build_record(fixture_doc())
    assert rec["event_date"] == {"value": "2023-10-11", "end": None, "text": "Rabu (11/10/2023)",
                                 "offsets": [TEXT.index("Rabu (11"), TEXT.index("Rabu (11") + 17], "flags": []}
    assert rec["place"]["value"] == "Gedung Serbaguna"  # not the dateline "KOTA"
    assert rec["organiser"]["value"] == "Pemerintah Kabupaten (Pemkab) Contoh"
    budi, ani = rec["officials"]
    assert (budi["name"], budi["role"]) == ("Budi Santoso", "Pj Bupati Contoh")
    assert budi["mentions"] == [[s.start, s.end] for s in (sp("Budi Santoso", "PER"), sp("Budi", "PER", 2))]
    sentence = "Kegiatan dibuka Pj Bupati Contoh, Budi Santoso."
    assert budi["evidence"] == [[TEXT.index(sentence), TEXT.index(sentence) + len(sentence)]]
    assert (ani["name"], ani["role"]) == ("Ani", "Sekda")
    assert [e["key"] for e in rec["elections"]] == ["Pemilu 2024"]  # teaser and trailer left out
    assert rec["regulations"] == [{"key": "UU 20/2023", "text": "UU Nomor 20 Tahun 2023",
                                   "offsets": [[sp("UU Nomor 20 Tahun 2023", "LAW").start,
                                                sp("UU Nomor 20 Tahun 2023", "LAW").end]],
                                   "articles": [], "flags": []}]


def test_relations_in_the_input_are_used_instead_of_rules():
    doc = fixture_doc()
    budi, sekda = doc.spans.index(sp("Budi Santoso", "PER")), doc.spans.index(sp("Sekda", "ROLE"))
    doc.relations = [Relation(budi, sekda)]
    names = {o["name"]: o["role"] for o in build_record(doc)["officials"]}
    assert names == {"Budi Santoso": "Sekda", "Ani": None}


def test_unresolved_fields_are_null_with_reason():
    doc = Doc("d2", "Judul\n" + FILLER + " tanpa apa pun, kata Budi.", spans=[])
    doc.spans = [Span(doc.text.index("Budi"), doc.text.index("Budi") + 4, "PER")]
    rec = build_record(doc)
    for field in ("event_date", "place", "organiser"):
        assert rec[field]["value"] is None and rec[field]["reason"]
    budi = doc.spans[0]
    assert rec["officials"] == [{"name": "Budi", "role": None, "mentions": [[budi.start, budi.end]],
                                 "reason": "no sentence in the article states this person's office",
                                 "flags": []}]
    assert rec["elections"] == rec["regulations"] == []


def test_unresolvable_event_date_names_the_first_date_and_why():
    text = FILLER + " acara Senin lalu di sini."
    start = text.index("Senin")
    rec = build_record(Doc("d3", text, spans=[Span(start, start + 5, "DATE")]))
    assert rec["event_date"]["value"] is None
    assert "'Senin'" in rec["event_date"]["reason"] and "reference" in rec["event_date"]["reason"]


def test_organiser_prefers_government_body_and_falls_back_with_flags():
    text = f"KOTA, Media – Bawaslu dan KPU {FILLER}.\nLalu Pemkab Contoh hadir."
    spans = [Span(text.index(x), text.index(x) + len(x), "ORG") for x in ("Media", "Bawaslu", "Pemkab Contoh")]
    rec = build_record(Doc("d4", text, spans=spans))
    assert rec["organiser"] == {"value": "Pemkab Contoh", "offsets": [spans[2].start, spans[2].end],
                                "flags": ["outside_lead"]}
    rec = build_record(Doc("d4", text, spans=spans[:2]))
    assert (rec["organiser"]["value"], rec["organiser"]["flags"]) == ("Bawaslu", ["not_a_government_body"])


def test_place_falls_back_to_dateline_when_nothing_else():
    text = f"KOTA – {FILLER}."
    rec = build_record(Doc("d5", text, spans=[Span(0, 4, "LOC")]))
    assert (rec["place"]["value"], rec["place"]["flags"]) == ("KOTA", ["dateline"])


def test_gold_spans_reproduce_hand_made_seed_records_field_by_field():
    docs = read_docs(SEEDS / "gold.jsonl")
    gold = [json.loads(line) for line in (SEEDS / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in gold] == [d.id for d in docs]
    for doc, expected in zip(docs, gold, strict=True):
        built = json.loads(json.dumps(build_record(doc), ensure_ascii=False))
        for field in expected:
            assert built[field] == expected[field], f"{doc.id}: {field}"
        assert set(built) == set(expected)


def test_field_accuracy_counts_each_field():
    gold = [json.loads(line) for line in (SEEDS / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records_field_accuracy(gold, gold)["records_officials_f"] == 1.0
    pred = json.loads(json.dumps(gold))
    pred[0]["event_date"] = {"value": None, "reason": "x"}
    pred[1]["officials"] = pred[1]["officials"][:6]  # drop one of seven
    pred[2]["regulations"].append({"key": "UU 1/2000", "text": "UU 1/2000", "offsets": [[0, 1]]})
    pred[3]["place"] = {"value": "rumah jabatan  bupati kapuas", "offsets": [0, 1], "flags": []}  # same, folded
    pred = pred[:4]  # the fifth article is missing
    m = records_field_accuracy(gold, pred)
    assert m["records_n"] == 5
    assert m["records_event_date_acc"] == pytest.approx(3 / 5)
    assert m["records_place_acc"] == pytest.approx(4 / 5)
    assert m["records_types_acc"] == pytest.approx(4 / 5)
    n_off = sum(len(r["officials"]) for r in gold)
    assert m["records_officials_r"] == pytest.approx((n_off - 1 - 2) / n_off)
    assert m["records_officials_p"] == 1.0
    # Gold cites five regulations (none in the missing fifth article); one spurious one is added.
    assert (m["records_regulations_p"], m["records_regulations_r"]) == (pytest.approx(5 / 6), 1.0)
    assert m["records_elections_r"] == pytest.approx(9 / 11)  # the fifth article's two are missed


def test_csv_has_one_row_per_article_with_lists_joined():
    rows = list(csv.DictReader(io.StringIO(records_to_csv([build_record(fixture_doc())]))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert rows[0]["officials"] == "Budi Santoso (Pj Bupati Contoh); Ani (Sekda)"
    assert rows[0]["event_date"] == "2023-10-11" and rows[0]["place_reason"] == ""


def test_html_escapes_text_and_is_self_contained():
    doc = fixture_doc()
    doc.id = "<b>d1</b>"
    page = render_html([build_record(doc)], [doc], schema=load_schema())
    assert "<b>d1</b>" not in page and "&lt;b&gt;d1&lt;/b&gt;" in page
    assert "\u201cASN wajib netral" in page
    assert not re.search(r"https?://|<link|src=|@import", page)
    assert page.count("<th>") == 8 and "addEventListener('click'" in page
    assert f'style="background:{load_schema().colors["PER"]}"' in page


def run_cli(tmp_path, *extra: str) -> int:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run(parser.parse_args(list(extra)))


def test_command_reports_bad_lines_and_writes_the_rest(tmp_path, capsys):
    good = fixture_doc().to_json()
    src = tmp_path / "pred.jsonl"
    src.write_text(good + "\n{not json\n", encoding="utf-8")
    out, table = tmp_path / "out" / "records.jsonl", tmp_path / "records.csv"
    status = run_cli(tmp_path, "--input", str(src), "--output", str(out), "--csv", str(table))
    assert status == 1
    assert f"{src}:2: malformed JSON" in capsys.readouterr().err
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == ["d1"]
    assert table.read_text(encoding="utf-8").startswith("id,types,")
    assert src.read_text(encoding="utf-8") == good + "\n{not json\n"


def test_command_refuses_to_overwrite_its_input(tmp_path, capsys):
    src = tmp_path / "pred.jsonl"
    src.write_text(fixture_doc().to_json() + "\n", encoding="utf-8")
    assert run_cli(tmp_path, "--input", str(src), "--output", str(src)) == 2
    assert "must be different files" in capsys.readouterr().err
    assert json.loads(src.read_text(encoding="utf-8"))["id"] == "d1"


def load_screenshot_module():
    spec = importlib.util.spec_from_file_location("screenshot", REPO / "evaluation" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(load_screenshot_module().find_chromium() is None,
                    reason="no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
def test_records_html_renders_table_and_highlights_in_headless_chromium(tmp_path):
    page, png = tmp_path / "records.html", tmp_path / "records.png"
    status = run_cli(tmp_path, "--input", str(SEEDS / "gold.jsonl"), "--output", str(tmp_path / "r.jsonl"),
                     "--html", str(page))
    assert status == 0
    shot = load_screenshot_module()
    shot.screenshot(page, png, width=1400, height=1400)
    pixels, rgb = shot.read_png(png), shot.hex_rgb
    height, width, _ = pixels.shape
    assert (width, height) == (1400, 1400)
    colours = shot.colours(pixels)
    assert len(colours) > 50, "page rendered (almost) blank"
    assert rgb("#eeeeff") in colours  # the table header
    colors = load_schema().colors
    for label in ("PER", "ROLE", "ORG", "LOC", "DATE", "EVENT"):  # the legend and the first article
        assert rgb(colors[label]) in colours, label


@pytest.mark.slow
@pytest.mark.skipif(load_screenshot_module().find_chromium() is None,
                    reason="no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
def test_clicking_a_column_header_twice_sorts_rows_descending_in_chromium(tmp_path):
    page = tmp_path / "records.html"
    run_cli(tmp_path, "--input", str(SEEDS / "gold.jsonl"), "--output", str(tmp_path / "r.jsonl"), "--html", str(page))
    # Click "event date" twice (ascending, then descending) once the page's own script has run.
    clicks = '<script>var h = document.querySelectorAll("#records th")[2]; h.click(); h.click();</script>'
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", clicks + "</body>"), encoding="utf-8")
    cmd = [load_screenshot_module().find_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    dates = re.findall(r'<tr data-article="article-\d+"><td[^>]*>[^<]*</td><td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td>',
                       dom)
    assert dates == ["2024-09-30", "2023-12-13", "2023-11-21", "2023-10-11", "2023-08-28"]
