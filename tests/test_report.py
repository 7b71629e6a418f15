"""Tests of netra.report (Markdown and HTML) and of evaluation/screenshot.py."""

from __future__ import annotations

import importlib.util
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from netra.docs import Doc, Relation, Span
from netra.evaluate import HEADLINE, evaluate_docs
from netra.report import highlight, render_comparison_markdown, render_html, render_markdown
from netra.schema import load_schema

REPO = Path(__file__).resolve().parents[1]

TEXT = "Bupati Bandung Dadang Supriatna hadir di Soreang bersama KPU pada Senin (30/9/2024)."


def sp(sub: str, label: str) -> Span:
    start = TEXT.index(sub)
    return Span(start, start + len(sub), label)


def fixture() -> tuple[list[Doc], list[Doc]]:
    gold = [
        Doc(
            "a<1>",
            TEXT,
            spans=[sp("Bupati Bandung", "ROLE"), sp("Dadang Supriatna", "PER"), sp("Soreang", "LOC"),
                   sp("KPU", "ORG"), sp("Senin (30/9/2024)", "DATE")],
            types=["pledge"],
            relations=[Relation(1, 0)],
        ),
        Doc("b", "Tidak ada prediksi untuk dokumen ini.", types=["other"]),
    ]
    pred = [
        Doc(
            "a<1>",
            TEXT,
            spans=[sp("Bupati", "ROLE"), sp("Dadang Supriatna", "PER"), sp("KPU", "LOC"),
                   sp("Senin (30/9/2024)", "DATE"), sp("hadir", "EVENT")],
            types=["pledge", "socialization"],
            relations=[Relation(1, 0)],
        )
    ]
    return gold, pred


def report(title: str = "uji") -> tuple[dict, str]:
    gold, pred = fixture()
    metrics = evaluate_docs(gold, pred)
    return metrics, render_html(metrics, gold, pred, title=title, schema=load_schema())


def marks(html: str) -> list[tuple[str, str, str]]:
    """(class, data-label, text) of every highlighted span."""
    return re.findall(r'<mark class="(\w+)" style="[^"]*" data-label="(\w+)" title="[^"]*">([^<]*)</mark>', html)


def test_markdown_report_shows_every_headline_number_and_the_missing_document():
    metrics, _ = report()
    md = render_markdown(metrics, title="baseline")
    assert md.startswith("# baseline\n")
    for name, key in HEADLINE:
        assert f"| {name} | {metrics[key]:.3f} |" in md
    assert "| ROLE | 0.000 | 0.000 | 0.000 | 1 |" in md
    assert "| pledge | 1 | 0 | 0 | 1 |" in md  # confusion: TP FP FN TN
    assert "scored as predicting nothing): `b`" in md


def test_comparison_markdown_has_a_column_per_system():
    metrics, _ = report()
    perfect = evaluate_docs(*[fixture()[0]] * 2)
    md = render_comparison_markdown({"baseline": metrics, "model": perfect}, title="perbandingan")
    assert "| metric | baseline | model |" in md
    assert f"| HOLDS F | {metrics['holds_f']:.3f} | 1.000 |" in md
    assert "| type | support | baseline F | model F |" in md
    assert "| PER | 1 | 1.000 | 1.000 |" in md


def test_html_marks_each_error_in_the_right_column():
    _, html = report()
    found = marks(html)
    gold_col, pred_col = found[:5], found[5:]
    assert gold_col == [
        ("wrong_boundary", "ROLE", "Bupati Bandung"),
        ("correct", "PER", "Dadang Supriatna"),
        ("missed", "LOC", "Soreang"),
        ("wrong_label", "ORG", "KPU"),
        ("correct", "DATE", "Senin (30/9/2024)"),
    ]
    assert ("spurious", "EVENT", "hadir") in pred_col
    assert ("wrong_label", "LOC", "KPU") in pred_col
    assert 'title="gold ORG: wrong label; predicted LOC &#x27;KPU&#x27;"' in html
    assert "missing from the predictions" in html


def test_html_lists_holds_per_document():
    _, html = report()
    # The prediction's ROLE span is "Bupati", not "Bupati Bandung", so the gold HOLDS is missed.
    assert "Dadang Supriatna → Bupati Bandung: <span class=bad>missed</span>" in html
    assert "Dadang Supriatna → Bupati: <span class=bad>spurious</span>" in html


def test_html_escapes_document_text_ids_and_title():
    text = "Kata <script>alert('x')</script> & Budi"
    gold = [Doc("<b>id</b>", text, [Span(text.index("Budi"), len(text), "PER")], types=["other"])]
    metrics = evaluate_docs(gold, gold)
    html = render_html(metrics, gold, gold, title="<i>judul</i>", schema=load_schema())
    assert "<script" not in html and "<b>id" not in html and "<i>judul" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; " in html
    assert "&lt;b&gt;id&lt;/b&gt;" in html


def test_html_is_self_contained():
    _, html = report()
    assert not re.search(r"https?://|<link|<script|<img|@import", html)
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html


def test_highlight_keeps_text_between_spans_and_colours_each_label():
    out = highlight("a Budi b", [(Span(2, 6, "PER"), "correct", "t")], colors={"PER": "#f4a3a3"})
    assert out == 'a <mark class="correct" style="background:#f4a3a3" data-label="PER" title="t">Budi</mark> b'


# ---------------------------------------------------------------------------------------------
# Headless Chromium


def load_screenshot_module():
    spec = importlib.util.spec_from_file_location("screenshot", REPO / "evaluation" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_read_png_decodes_rgba_to_rgb_and_rejects_other_files(tmp_path):
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    shot = load_screenshot_module()
    # two RGBA rows: the first unfiltered, the second filtered "Up" (adds the row above)
    rows = b"\x00" + bytes([255, 0, 0, 255, 0, 255, 0, 128]) + b"\x02" + bytes([0, 0, 208, 0, 0, 0, 0, 0])
    png = tmp_path / "tiny.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 6, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    pixels = shot.read_png(png)
    assert pixels.shape == (2, 2, 3) and pixels.dtype == np.uint8
    assert pixels.tolist() == [[[255, 0, 0], [0, 255, 0]], [[255, 0, 208], [0, 255, 0]]]
    assert shot.colours(pixels[:, 1:]) == {(0, 255, 0)} and shot.hex_rgb("#ff00d0") in shot.colours(pixels)
    (tmp_path / "x.png").write_bytes(b"GIF89a")
    with pytest.raises(ValueError, match="not a PNG"):
        shot.read_png(tmp_path / "x.png")


@pytest.mark.slow
@pytest.mark.skipif(load_screenshot_module().find_chromium() is None,
                    reason="no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
def test_report_html_renders_in_headless_chromium(tmp_path):
    _, html = report()
    page, png = tmp_path / "report.html", tmp_path / "shot.png"
    page.write_text(html, encoding="utf-8")
    shot = load_screenshot_module()
    shot.screenshot(page, png, width=1400, height=2000)
    pixels, rgb = shot.read_png(png), shot.hex_rgb
    height, width, _ = pixels.shape
    left, right = shot.colours(pixels[:, : width // 2]), shot.colours(pixels[:, width // 2 :])
    assert (width, height) == (1400, 2000)
    assert len(left) > 20  # text, tables and highlights, not a blank page
    colours = load_schema().colors
    # The legend sits on the left; the predicted column fills the right half, so label colours
    # and the red outline of the spurious span there come from highlighted document text.
    for label in ("ROLE", "PER", "LOC", "DATE", "EVENT"):
        assert rgb(colours[label]) in right, f"{label} highlight not visible in the predicted column"
    assert rgb("#d00000") in right
    assert rgb(colours["ORG"]) in left and rgb(colours["ORG"]) not in right  # KPU was predicted LOC


def test_screenshot_explains_how_to_install_chromium_when_missing(monkeypatch, tmp_path):
    module = load_screenshot_module()
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install chromium"):
        module.screenshot(tmp_path / "x.html", tmp_path / "x.png")
