import datetime as dt

import pytest

from netra.normalize import (
    election_year,
    merge_names,
    normalize_date,
    normalize_event,
    normalize_law,
    parse_year,
    within_one_edit,
)

OCT_11 = dt.date(2023, 10, 11)  # a Wednesday (Rabu)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Rabu (11/10/2023)", "2023-10-11"),
        ("Senin kemarin (28/8/2023)", "2023-08-28"),
        ("11 Oktober 2023", "2023-10-11"),
        ("Rabu 11 Oktober 2023", "2023-10-11"),
        ("Selasa, (21/11/2023)", "2023-11-21"),
        ("Jumat, 3 Nopember 2023", "2023-11-03"),
        ("12 Pebruari 2024", "2024-02-12"),
        ("5 Agt 2023", "2023-08-05"),
        ("17 Agu 2023", "2023-08-17"),
        ("1 Des. 2023", "2023-12-01"),
        ("14 Feb 2024", "2024-02-14"),
        ("11-10-2023", "2023-10-11"),
        ("11.10.2023", "2023-10-11"),
    ],
)
def test_date_formats_resolve_to_iso(text, iso):
    result = normalize_date(text)
    assert (result.value, result.reason, result.flags) == (iso, None, [])


def test_two_digit_year_is_read_as_this_century_and_flagged():
    result = normalize_date("11/10/23")
    assert result.value == "2023-10-11"
    assert result.flags == ["two_digit_year"]


def test_year_with_a_letter_for_a_digit_is_corrected_and_flagged():
    result = normalize_date("11 Oktober 2o23")
    assert result.value == "2023-10-11"
    assert result.flags == ["year_typo_corrected"]


@pytest.mark.parametrize("text", ["11 Oktober 20233", "Rabu (11/10/20233)", "11 Oktober 223"])
def test_year_of_wrong_length_is_unresolved_with_reason(text):
    result = normalize_date(text)
    assert result.value is None
    assert "malformed year" in result.reason


def test_parse_year_readings():
    assert parse_year("2024") == (2024, [], None)
    assert parse_year("24") == (2024, ["two_digit_year"], None)
    assert parse_year("2O24") == (2024, ["year_typo_corrected"], None)
    assert parse_year("20244")[0] is None


def test_day_range_gives_start_and_end():
    result = normalize_date("29-30 November 2023")
    assert (result.value, result.end) == ("2023-11-29", "2023-11-30")


def test_range_across_months():
    result = normalize_date("30 November - 2 Desember 2023")
    assert (result.value, result.end) == ("2023-11-30", "2023-12-02")


def test_backwards_range_is_unresolved():
    assert normalize_date("30-29 November 2023").value is None


def test_missing_year_comes_from_reference_date_and_is_flagged():
    result = normalize_date("4 Nopember", reference=OCT_11)
    assert result.value == "2023-11-04"
    assert result.flags == ["year_from_reference"]


def test_missing_year_without_reference_is_unresolved():
    result = normalize_date("4 Nopember")
    assert result.value is None
    assert "no reference date" in result.reason


def test_day_name_alone_is_nearest_such_day_on_or_before_reference():
    assert normalize_date("Senin", reference=OCT_11).value == "2023-10-09"
    assert normalize_date("Rabu", reference=OCT_11).value == "2023-10-11"
    assert normalize_date("Kamis", reference=OCT_11).value == "2023-10-05"
    assert normalize_date("Senin", reference=OCT_11).flags == ["from_weekday"]


def test_day_name_alone_without_reference_is_unresolved():
    result = normalize_date("Senin")
    assert result.value is None
    assert result.reason == "no reference date to resolve a day name against"


def test_weekday_that_disagrees_with_date_keeps_date_and_flags_mismatch():
    result = normalize_date("Senin (11/10/2023)")
    assert result.value == "2023-10-11"
    assert result.flags == ["weekday_mismatch"]


def test_impossible_day_is_unresolved():
    result = normalize_date("31/2/2023")
    assert result.value is None
    assert "no such date" in result.reason


def test_clock_time_is_not_a_date():
    assert normalize_date("pukul 10.00").value is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Peraturan Pemerintah Nomor 42 Tahun 2024", "PP 42/2024"),
        ("Peraturan Pemerintah nomor 19 tahun 2021", "PP 19/2021"),
        ("UU nomor 20 tahun 2023", "UU 20/2023"),
        ("UU No. 5/2014", "UU 5/2014"),
        ("Undang-Undang Nomor 5 Tahun 2014", "UU 5/2014"),
        ("UU RI Nomor 7 Tahun 2017", "UU 7/2017"),
        ("Perpres Nomor 3 Tahun 2020", "Perpres 3/2020"),
        ("Peraturan Pemerintah Pengganti Undang-Undang Nomor 1 Tahun 2022", "Perppu 1/2022"),
        ("PermenPAN-RB Nomor 6 Tahun 2022", "PermenPAN-RB 6/2022"),
        ("Permenpan RB No 6 tahun 2022", "PermenPAN-RB 6/2022"),
        ("Peraturan Menteri Dalam Negeri Nomor 1 Tahun 2020", "Permendagri 1/2020"),
        ("Perbup Purwakarta Nomor 12 Tahun 2023", "Perbup Purwakarta 12/2023"),
        ("Perda Kabupaten Bandung No. 3 Tahun 2020", "Perda Kabupaten Bandung 3/2020"),
        ("SE Menpan-RB Nomor 1 Tahun 2023", "SE Menpan-RB 1/2023"),
        ("Surat Edaran Bupati No 800/123/2023", "SE Bupati 800/123/2023"),
        ("SKB Lima Menteri", "SKB 5 Menteri"),
        ("SKB 11 Menteri", "SKB 11 Menteri"),
    ],
)
def test_law_canonical_keys(text, key):
    result = normalize_law(text)
    assert (result.value, result.reason) == (key, None)


def test_law_article_is_kept_apart_from_key():
    result = normalize_law("Pasal 9 ayat (2) UU Nomor 20 Tahun 2023")
    assert (result.value, result.article) == ("UU 20/2023", "Pasal 9 ayat (2)")
    result = normalize_law("UU Nomor 5 Tahun 2014 Pasal 2 huruf F")
    assert (result.value, result.article) == ("UU 5/2014", "Pasal 2 huruf f")


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("undang-undang ASN", "without its number and year"),
        ("undang-undang tahun 2014", "without its number"),
        ("PP Nomor 42", "without its year"),
    ],
)
def test_unnumbered_law_is_unresolved_with_reason(text, missing):
    result = normalize_law(text)
    assert result.value is None
    assert result.reason.endswith(missing)


def test_unknown_instrument_is_unresolved():
    result = normalize_law("Piagam Jakarta")
    assert result.value is None
    assert "unknown kind" in result.reason


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Pemilu 2024", "Pemilu 2024"),
        ("Pemilihan Umum (Pemilu) 2024", "Pemilu 2024"),
        ("Pemilihan umum 2024", "Pemilu 2024"),
        ("Pilkada Serentak 2024", "Pilkada 2024"),
        ("Pemilihan Kepala Daerah (Pilkada) Serentak 2024", "Pilkada 2024"),
        ("Pemilukada 2020", "Pilkada 2020"),
        ("Pilpres 2019", "Pilpres 2019"),
    ],
)
def test_event_with_year_maps_to_election(text, key):
    result = normalize_event(text)
    assert (result.value, result.flags) == (key, [])


def test_event_without_year_takes_article_year_and_is_flagged():
    result = normalize_event("Pileg", year=2024)
    assert (result.value, result.flags) == ("Pileg 2024", ["year_inferred"])
    assert normalize_event("Pemilukada serentak", year=2024).value == "Pilkada 2024"


def test_event_without_any_year_is_unresolved():
    result = normalize_event("Pilpres")
    assert result.value is None
    assert "no year" in result.reason


def test_non_election_event_is_not_mapped():
    result = normalize_event("Porseni PGRI Rancaekek")
    assert result.value is None
    assert result.reason.startswith("not an election")


def test_article_election_year_is_most_frequent_election_year():
    assert election_year(["Pemilu 2019", "Pilkada 2024", "Pemilu 2024", "Porseni 2023", "Pileg"]) == 2024
    assert election_year(["Pileg", "hari Korpri 2023"]) is None


def test_within_one_edit():
    assert within_one_edit("djalaludin", "djalaluddin")
    assert within_one_edit("benni", "beni")
    assert within_one_edit("cakra", "cakre")
    assert not within_one_edit("cakra", "arkac")
    assert not within_one_edit("benni", "bennnni")


def names_of(mentions):
    return [(p.name, p.mentions, p.flags) for p in merge_names(mentions)]


def test_short_mention_merges_into_the_one_full_name_containing_it():
    assert names_of(["Benni Irwan", "Benni", "Cakra Amiyana", "Amiyana"]) == [
        ("Benni Irwan", [0, 1], []),
        ("Cakra Amiyana", [2, 3], []),
    ]


def test_short_mention_fitting_two_full_names_stays_apart_and_is_flagged():
    people = names_of(["Benni Irwan", "Benni Santoso", "Benni"])
    assert people[2] == ("Benni", [2], ["ambiguous: could be Benni Irwan or Benni Santoso"])


def test_spelling_variant_by_one_edit_merges_and_longest_spelling_is_canonical():
    assert names_of(["Djalaludin Salampessy", "Djalaluddin Salampessy", "Djalaluddin"]) == [
        ("Djalaluddin Salampessy", [0, 1, 2], []),
    ]


def test_initials_match_full_words():
    assert names_of(["Ahmad Muhammad Saribi", "Ahmad M Saribi", "A.Darmuji", "A Darmuji"]) == [
        ("Ahmad Muhammad Saribi", [0, 1], []),
        ("A.Darmuji", [2, 3], []),
    ]


def test_different_people_sharing_a_surname_token_with_short_edits_stay_apart():
    assert [p[0] for p in names_of(["Adi Santoso", "Ali Santoso"])] == ["Adi Santoso", "Ali Santoso"]


def test_lone_short_names_group_by_word():
    assert names_of(["Komari", "Saribi", "Komari"]) == [("Komari", [0, 2], []), ("Saribi", [1], [])]
