"""Tests of the rule baseline on hand-written Indonesian sentences (names and venues invented)."""

from __future__ import annotations

import argparse
import json
import re
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra.baseline import (
    MODEL_NAME,
    BaselineTagger,
    Candidate,
    InputError,
    article_paragraphs,
    classify_types,
    read_inputs,
    resolve_conflicts,
    run,
)
from netra.cli import main
from netra.docs import Doc, Span
from netra.resources.build_regions import region_rows
from netra.schema import load_schema
from netra.validate import check_object, validate_file

REPO = Path(__file__).resolve().parents[1]
RESOURCES = REPO / "src" / "netra" / "resources"
TAGGER = BaselineTagger()


def tagged(text: str) -> list[tuple[str, str]]:
    return [(s.label, text[s.start : s.end]) for s in TAGGER.spans(text)]


def only(text: str, label: str) -> list[str]:
    return [t for lab, t in tagged(text) if lab == label]


# --- offices and the people holding them


def test_office_with_place_then_rank_and_name():
    text = "Kapolres Garut, AKBP Yudi Prasetyo, hadir dalam acara itu."
    assert tagged(text) == [("ROLE", "Kapolres Garut"), ("PER", "Yudi Prasetyo")]


def test_acting_office_and_unit_with_titles_and_degree_outside_name():
    text = (
        "Acara dibuka Pj Wali Kota Bogor Hendra Gunadi dan Kepala Dinas Pendidikan Kota Bogor, "
        "Dr. H. Sulastri Wulandari, M.Pd., di sana."
    )
    assert tagged(text) == [
        ("ROLE", "Pj Wali Kota Bogor"),
        ("PER", "Hendra Gunadi"),
        ("ROLE", "Kepala Dinas Pendidikan Kota Bogor"),
        ("PER", "Sulastri Wulandari"),
    ]


def test_acting_office_written_with_its_alternative_name_is_one_role():
    text = "Rapat dipimpin Penjabat atau Pj Bupati Sleman, Sri Handayani, kemarin."
    assert tagged(text) == [("ROLE", "Penjabat atau Pj Bupati Sleman"), ("PER", "Sri Handayani")]


def test_office_with_abbreviation_and_jurisdiction():
    text = "Sekretaris Daerah (Sekda) Kabupaten Cianjur, Yusuf Hamdani, memberi arahan."
    assert tagged(text) == [("ROLE", "Sekretaris Daerah (Sekda) Kabupaten Cianjur"), ("PER", "Yusuf Hamdani")]


def test_office_named_after_a_body_in_full():
    text = "Laporan dibacakan Kepala Badan Kepegawaian Daerah (BKD) Kabupaten Sleman, Tri Wahyuni, pagi itu."
    assert tagged(text) == [
        ("ROLE", "Kepala Badan Kepegawaian Daerah (BKD) Kabupaten Sleman"),
        ("PER", "Tri Wahyuni"),
    ]


def test_assistant_with_roman_numeral_and_field_then_name_and_initial():
    text = "Asisten II Bidang Perekonomian Setda Kota Bogor M. Yusuf Hamid menyampaikan sambutan."
    assert tagged(text) == [
        ("ROLE", "Asisten II Bidang Perekonomian Setda Kota Bogor"),
        ("PER", "M. Yusuf Hamid"),
    ]


def test_village_office_takes_its_place_when_a_name_follows_after_a_comma():
    text = "Camat Cibeber, Ir. H. A. Rahman Hakim, M.Si., memimpin apel."
    assert tagged(text) == [("ROLE", "Camat Cibeber"), ("PER", "A. Rahman Hakim")]


def test_lower_case_generic_offices_are_roles():
    text = "Hadir pula para camat, lurah dan kepala desa serta staf ahli bupati."
    assert only(text, "ROLE") == ["camat", "lurah", "kepala desa", "staf ahli", "bupati"]


def test_candidates_and_offices_without_a_unit_are_not_roles():
    text = "Calon Bupati itu hadir bersama Ketua Periode lalu, anggota, pejabat dan staf."
    assert only(text, "ROLE") == []


def test_military_office_with_number():
    text = "Upacara dipimpin Dandim 0611 Letkol Inf Dadang Suherman di lapangan."
    assert tagged(text) == [("ROLE", "Dandim 0611"), ("PER", "Dadang Suherman")]


def test_headline_office_is_not_followed_by_a_person():
    text = "Kepala BPBD Tinjau Lokasi Banjir di Garut\n\nIsi berita."
    assert tagged(text) == [("ROLE", "Kepala BPBD"), ("LOC", "Garut")]


# --- people


def test_name_before_selaku_office():
    text = "Rina Marlina selaku Sekretaris Daerah Kabupaten Sleman membuka rapat."
    assert tagged(text) == [("PER", "Rina Marlina"), ("ROLE", "Sekretaris Daerah Kabupaten Sleman")]


def test_speech_verbs_and_repeated_names_are_tagged_in_full_and_by_part():
    text = (
        "Wakil Bupati Sleman, Danang Wicaksono, membuka acara. “Kita harus netral,” kata Danang. "
        "Menurut Wicaksono, aturan sudah jelas. Hal itu ditegaskan lagi oleh Danang Wicaksono."
    )
    assert only(text, "PER") == ["Danang Wicaksono", "Danang", "Wicaksono", "Danang Wicaksono"]


def test_two_word_name_before_a_reporting_verb_but_not_one_word():
    text = "Sri Handayani mengatakan semua siap. Pemerintah mengatakan hal yang sama."
    assert only(text, "PER") == ["Sri Handayani"]


def test_rank_and_honorific_stay_outside_the_name():
    text = "Pengamanan dipimpin AKP Bambang Sulistyo bersama Bapak Heru Santosa."
    assert only(text, "PER") == ["Bambang Sulistyo", "Heru Santosa"]


def test_pronouns_and_function_words_after_speech_verbs_are_not_names():
    text = "“Kami siap,” kata Dia. Menurut Kepala Dinas Sosial, semua hadir."
    assert only(text, "PER") == []


def test_repeated_initial_and_surname_form_one_mention():
    text = "Kepala BKD, A.Sutarman, hadir. Ujar A Sutarman, semua siap."
    assert only(text, "PER") == ["A.Sutarman", "A Sutarman"]


# --- organisations


def test_government_bodies_with_abbreviation_and_jurisdiction():
    text = (
        "Pemerintah Kabupaten (Pemkab) Garut bersama Badan Pengawas Pemilu (Bawaslu) Kabupaten Garut, "
        "KPU Kota Bogor, Polres Sukabumi dan Komisi Aparatur Sipil Negara (KASN) menggelar rapat."
    )
    assert tagged(text) == [
        ("ORG", "Pemerintah Kabupaten (Pemkab) Garut"),
        ("ORG", "Badan Pengawas Pemilu (Bawaslu) Kabupaten Garut"),
        ("ORG", "KPU Kota Bogor"),
        ("ORG", "Polres Sukabumi"),
        ("ORG", "Komisi Aparatur Sipil Negara (KASN)"),
    ]


def test_short_forms_expansions_and_news_sites():
    text = (
        "Pemkot Bogor meminta BKD (Badan Kepegawaian Daerah) dan Inspektorat mengawasi ASN, "
        "seperti dilaporkan beritaku.co.id dan KABARDESA.COM."
    )
    assert tagged(text) == [
        ("ORG", "Pemkot Bogor"),
        ("ORG", "BKD (Badan Kepegawaian Daerah)"),
        ("ORG", "Inspektorat"),
        ("ORG", "beritaku.co.id"),
        ("ORG", "KABARDESA.COM"),
    ]


def test_ministries_and_parties_are_organisations():
    text = "Kementerian Dalam Negeri dan Partai Gerindra serta Politikus Partai Maju Sutrisno hadir."
    assert only(text, "ORG") == ["Kementerian Dalam Negeri", "Partai Gerindra", "Partai Maju"]


def test_lower_case_government_of_a_named_region_is_an_org_but_category_nouns_are_not():
    text = "ASN di lingkup pemerintah Kota Sukabumi dan OPD lain serta instansi vertikal."
    assert tagged(text) == [("ORG", "pemerintah Kota Sukabumi")]


def test_office_building_is_an_org_unless_after_a_locative():
    text = "Kantor Wilayah Kemenkumham bekerja sama dengan panitia di Kantor Camat Cibeber."
    assert tagged(text) == [("ORG", "Kantor Wilayah Kemenkumham"), ("LOC", "Kantor Camat Cibeber")]


# --- places


def test_place_units_venues_and_regions():
    text = (
        "Acara berlangsung di Aula Kantor Bupati Garut, Jalan Merdeka, Desa Sukamaju, "
        "Kecamatan Cibeber, Kabupaten Cianjur, Jawa Barat."
    )
    assert tagged(text) == [
        ("LOC", "Aula Kantor Bupati Garut"),
        ("LOC", "Jalan Merdeka"),
        ("LOC", "Desa Sukamaju"),
        ("LOC", "Kecamatan Cibeber"),
        ("LOC", "Kabupaten Cianjur"),
        ("LOC", "Jawa Barat"),
    ]


def test_town_after_a_venue_name_is_a_separate_place_and_lower_case_descriptor_stays_out():
    text = "Mereka berkumpul di Hotel Sari Indah Cianjur lalu pindah ke aula Rumah Dinas Bupati Sleman."
    assert tagged(text) == [
        ("LOC", "Hotel Sari Indah"),
        ("LOC", "Cianjur"),
        ("LOC", "Rumah Dinas Bupati Sleman"),
    ]


def test_province_short_names_are_places_and_ambiguous_regions_need_a_unit():
    text = "ASN di Jateng dan Kota Batu diminta netral. Batu itu besar."
    assert tagged(text) == [("LOC", "Jateng"), ("LOC", "Kota Batu")]


def test_datelines_give_place_and_outlet():
    text = "CIANJUR – Ratusan ASN hadir.\nCianjur, Warta Priangan – ASN hadir.\nberitaku.co.id, Garut - ASN hadir."
    assert tagged(text) == [
        ("LOC", "CIANJUR"),
        ("LOC", "Cianjur"),
        ("ORG", "Warta Priangan"),
        ("ORG", "beritaku.co.id"),
        ("LOC", "Garut"),
    ]


# --- dates, events, laws


@pytest.mark.parametrize(
    "date",
    [
        "Rabu (4/10/2023)",
        "Jumat, (6/10/2023)",
        "Kamis kemarin (5/10/2023)",
        "12 Nopember 2023",
        "Senin 9 Oktober 2023",
        "3 Pebruari",
        "Sabtu",
        "Selasa, 7 November 2023",
    ],
)
def test_dates(date):
    assert tagged(f"Acara digelar {date} di sana.") == [("DATE", date)]


def test_years_periods_and_clock_times_are_not_dates():
    assert only("Pada tahun 2023 periode 2022-2025, pukul 09.00 WIB, sebanyak 2024 orang.", "DATE") == []


@pytest.mark.parametrize(
    "event",
    [
        "Pemilu 2024",
        "Pemilihan Umum (Pemilu) 2024",
        "Pilkada Serentak 2024",
        "Pemilihan Kepala Daerah (Pilkada) 2024",
        "Pileg",
        "Pilpres",
        "Pemilukada serentak",
        "Pemilu",
        "HUT Korpri ke-52",
        "hari Bhayangkara ke-77",
        "pemilu 2029",
        "Pemilihan umum",
    ],
)
def test_events(event):
    assert tagged(f"ASN menjaga netralitas jelang {event} di daerah.") == [("EVENT", event)]


def test_lower_case_generic_elections_and_year_after_tahun_stay_out():
    text = "Pada pemilu serentak dan pemilihan umum, juga Pilkada tahun 2024."
    assert tagged(text) == [("EVENT", "Pilkada")]


def test_body_named_after_an_election_is_an_org_not_an_event():
    assert tagged("Badan Pengawas Pemilu hadir.") == [("ORG", "Badan Pengawas Pemilu")]


@pytest.mark.parametrize(
    "law",
    [
        "Peraturan Pemerintah Nomor 94 Tahun 2021",
        "PP No. 42 Tahun 2024",
        "UU No. 5/2014",
        "Pasal 9 ayat (2) UU nomor 20 tahun 2023",
        "Perbup Garut Nomor 12 Tahun 2023",
        "SKB Lima Menteri",
        "undang-undang tahun 2014",
        "UU ASN",
        "Surat Edaran Menteri PANRB Nomor 1 Tahun 2023",
    ],
)
def test_laws_stop_before_their_title(law):
    assert tagged(f"Hal itu diatur dalam {law} tentang disiplin pegawai.") == [("LAW", law)]


def test_generic_rules_are_not_laws():
    assert only("Sesuai aturan dan regulasi serta peraturan yang ada.", "LAW") == []


# --- conflicts


def test_longest_candidate_wins_over_the_ones_inside_it():
    kept = resolve_conflicts(
        [Candidate(8, 14, "LOC", 3), Candidate(0, 14, "ORG", 2), Candidate(0, 7, "ORG", 2)]
    )
    assert kept == [Span(0, 14, "ORG")]


def test_equal_length_candidates_are_decided_by_rank_then_order():
    kept = resolve_conflicts(
        [Candidate(0, 5, "LOC", 4), Candidate(0, 5, "PER", 0), Candidate(3, 8, "ORG", 2)]
    )
    assert kept == [Span(0, 5, "PER")]


def test_candidates_overlapping_taken_spans_are_dropped():
    kept = resolve_conflicts(
        [Candidate(0, 5, "PER", 0), Candidate(6, 9, "LOC", 3)], taken=[Span(4, 6, "ORG")]
    )
    assert kept == [Span(6, 9, "LOC")]


def test_spans_are_flat_on_dense_text():
    text = (
        "Kepala Bawaslu Kota Bogor, Andi Wijaya, hadir di Gedung Bawaslu Kota Bogor, "
        "Jalan Pajajaran, Kota Bogor, Rabu (4/10/2023), jelang Pemilu 2024 sesuai UU No. 7/2017."
    )
    spans = TAGGER.spans(text)
    assert all(a.end <= b.start for a, b in pairwise(spans))
    assert ("ROLE", "Kepala Bawaslu Kota Bogor") in tagged(text)


_PIECES = [
    "Bupati",
    "Garut",
    ",",
    ".",
    "(",
    ")",
    "Kepala",
    "BKD",
    "Kabupaten",
    "kata",
    "Sutrisno",
    "Rabu",
    "(4/10/2023)",
    "Pemilu",
    "2024",
    "UU",
    "No.",
    "5/2014",
    "di",
    "Aula",
    "Kantor",
    "\n",
    "–",
    "Pj",
    "atau",
    "AKBP",
    "Dr.",
    "H.",
    "S.Sos.",
    "selaku",
    "Pemkab",
    "x.co.id",
    "Desa",
    "Jalan",
    "A.",
    "Ma'ruf",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=30),
    st.lists(st.sampled_from([" ", "", "  "]), min_size=30, max_size=30),
)
def test_any_text_gives_flat_trimmed_spans_that_validate(pieces, gaps):
    # a text always has a visible character: empty texts are invalid input, not a tagging case
    text = "".join(p + g for p, g in zip(pieces, gaps[: len(pieces)], strict=True)).strip() or "x"
    doc = TAGGER.predict_doc(Doc("h", text))
    assert all(a.end <= b.start for a, b in pairwise(doc.spans))
    for s in doc.spans:
        covered = text[s.start : s.end]
        assert covered and covered == covered.strip()
    assert [p for p in check_object(doc.to_dict(), schema=load_schema()) if p[0] == "error"] == []


# --- article types


def test_keyword_in_the_lead_fires_its_type():
    types, scores = classify_types(
        "Ratusan ASN Ikuti Bimtek Netralitas\n\nGARUT - Sebanyak 300 ASN mengikuti kegiatan itu hari ini di aula."
    )
    assert types == ["socialization"]
    assert scores["socialization"] > 0.5 and scores["other"] == 0.0


def test_one_keyword_late_in_the_body_does_not_fire_but_two_do():
    filler = "\n".join(
        f"Paragraf {i} berisi kalimat biasa tentang kegiatan ASN di kantor itu." for i in range(4)
    )
    one = f"Judul Berita Netralitas\n\n{filler}\nTujuannya adalah pembinaan pegawai."
    two = one + "\nSelain pembinaan, ada diskusi."
    assert classify_types(one) == (
        ["other"],
        {"pledge": 0.0, "socialization": 0.25, "political_education": 0.0, "other": 1.0},
    )
    assert classify_types(two)[0] == ["socialization"]


def test_multi_label_types():
    types, _ = classify_types("Deklarasi Netralitas dan Pendidikan Politik bagi ASN\n\nIsi.")
    assert types == ["pledge", "political_education"]


def test_verb_forms_and_teasers_do_not_count():
    text = (
        "Bupati Minta ASN Netral\n\nBupati meminta dinas terus mensosialisasikan aturan kepada semua pegawai.\n"
        "Baca Juga: Sosialisasi Pemilu di Desa\nRecent Posts\nDeklarasi Damai Digelar\nSosialisasi Pilkada"
    )
    assert classify_types(text)[0] == ["other"]
    assert article_paragraphs(text) == [
        "Bupati Minta ASN Netral",
        "Bupati meminta dinas terus mensosialisasikan aturan kepada semua pegawai.",
    ]


# --- documents, inputs and the command


def test_predict_doc_replaces_gold_and_links_holds():
    gold = Doc(
        "a1",
        "Bupati Garut, Asep Rahmat, membuka ikrar netralitas ASN.",
        spans=[Span(0, 6, "ROLE")],
        types=["other"],
        meta={"source": "x.txt", "annotated_labels": ["ROLE"]},
    )
    pred = TAGGER.predict_doc(gold)
    assert [(s.label, s.text_of(pred.text)) for s in pred.spans] == [
        ("ROLE", "Bupati Garut"),
        ("PER", "Asep Rahmat"),
    ]
    assert [(r.head, r.tail, r.label) for r in pred.relations] == [(1, 0, "HOLDS")]
    assert pred.types == ["pledge"]
    assert pred.meta == {"source": "x.txt", "model": MODEL_NAME, "version": pred.meta["version"]}
    assert set(pred.type_scores) == {"pledge", "socialization", "political_education", "other"}


def test_read_inputs_folder_sorted_and_bad_files_reported_and_skipped(tmp_path):
    (tmp_path / "b.txt").write_text("Bupati Garut hadir.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Camat hadir.", encoding="utf-8")
    (tmp_path / "c.txt").write_bytes("Caf\xe9 di Garut".encode("latin-1"))
    (tmp_path / "d.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    problems = []
    docs = read_inputs(tmp_path, report=problems.append)
    assert [d.id for d in docs] == ["a", "b"]
    assert docs[0].meta == {"source": str(tmp_path / "a.txt")}
    assert [(p.doc_id, "UTF-8" in p.message or "empty" in p.message) for p in problems] == [
        ("c", True),
        ("d", True),
    ]
    assert str(tmp_path / "c.txt") in str(problems[0])


def test_read_inputs_single_txt_and_jsonl_with_a_bad_record(tmp_path):
    txt = tmp_path / "artikel-1.txt"
    txt.write_text("Isi artikel.", encoding="utf-8")
    assert [(d.id, d.text) for d in read_inputs(txt)] == [("artikel-1", "Isi artikel.")]
    jl = tmp_path / "in.jsonl"
    jl.write_text(
        json.dumps({"id": "ok", "text": "Teks."}) + "\n" + json.dumps({"id": "bad"}) + "\n", encoding="utf-8"
    )
    problems = []
    assert [d.id for d in read_inputs(jl, report=problems.append)] == ["ok"]
    assert len(problems) == 1 and problems[0].line == 2 and problems[0].doc_id == "bad"


def test_read_inputs_rejects_missing_paths_unknown_kinds_and_empty_folders(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_inputs(tmp_path / "nope.jsonl")
    (tmp_path / "x.csv").write_text("a,b", encoding="utf-8")
    with pytest.raises(InputError, match="unknown input kind"):
        read_inputs(tmp_path / "x.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .txt files"):
        read_inputs(tmp_path / "empty")


def _args(inp: Path, out: Path) -> argparse.Namespace:
    return argparse.Namespace(input=str(inp), output=str(out), labels=None)


def test_command_writes_valid_predictions_and_flags_skipped_inputs(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "GARUT – Kepala BKD Garut, Siti Aminah, memimpin ikrar ASN, Senin (2/10/2023).", encoding="utf-8"
    )
    (folder / "b.txt").write_bytes(b"\xff\xfe bad")
    out = tmp_path / "pred.jsonl"
    assert main(["baseline", "--input", str(folder), "--output", str(out)]) == 1  # b.txt was skipped
    docs, problems = validate_file(out)
    assert problems == [] and [d.id for d in docs] == ["a"]
    assert docs[0].meta["model"] == MODEL_NAME and docs[0].relations
    assert "b.txt" in capsys.readouterr().err


def test_command_refuses_to_overwrite_its_input(tmp_path):
    src = tmp_path / "gold.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "Teks."}) + "\n", encoding="utf-8")
    before = src.read_text(encoding="utf-8")
    assert run(_args(src, src)) == 1
    assert src.read_text(encoding="utf-8") == before


# --- resources


def test_region_rows_keep_provinces_and_regencies_without_their_unit_word():
    rows = region_rows(
        {
            "32": "Jawa Barat",
            "32.05": "Kabupaten Garut",
            "32.71": "Kota Bogor",
            "31.71": "Kota Administrasi Jakarta Pusat",
            "32.05.01": "Cibeber",
        }
    )
    assert rows == [
        ("31.71", "kota", "Jakarta Pusat"),
        ("32", "provinsi", "Jawa Barat"),
        ("32.05", "kabupaten", "Garut"),
        ("32.71", "kota", "Bogor"),
    ]


def test_packaged_regions_cover_all_38_provinces():
    lines = [
        x
        for x in (RESOURCES / "regions.tsv").read_text(encoding="utf-8").splitlines()
        if not x.startswith("#")
    ]
    assert sum(x.split("\t")[1] == "provinsi" for x in lines) == 38


def test_no_seed_person_name_appears_in_the_resources():
    gold = REPO / "seeds" / "gold.jsonl"
    if not gold.exists():
        pytest.skip("seeds/gold.jsonl not present")
    names = set()
    for line in gold.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        names |= {doc["text"][s["start"] : s["end"]] for s in doc["spans"] if s["label"] == "PER"}
    assert names
    resources = "\n".join(
        p.read_text(encoding="utf-8") for p in RESOURCES.iterdir() if p.suffix in (".yaml", ".tsv", ".md")
    )
    found = sorted(n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", resources, re.IGNORECASE))
    assert found == []
