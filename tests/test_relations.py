from netra.docs import Doc, Relation, Span
from netra.relations import gap_allows_link, link_holds
from netra.validate import read_docs


def make_doc(text: str, *parts: tuple[str, str]) -> Doc:
    """A doc whose spans are the first occurrence of each (substring, label) after the previous one."""
    spans, pos = [], 0
    for sub, label in parts:
        start = text.index(sub, pos)
        spans.append(Span(start, start + len(sub), label))
        pos = start + len(sub)
    return Doc("t", text, spans=spans)


def pairs(doc: Doc) -> list[tuple[str, str]]:
    return [(doc.spans[r.head].text_of(doc.text), doc.spans[r.tail].text_of(doc.text)) for r in link_holds(doc)]


def test_role_comma_person_links():
    doc = make_doc("Penjabat Bupati Purwakarta, Benni Irwan, membuka acara.",
                   ("Penjabat Bupati Purwakarta", "ROLE"), ("Benni Irwan", "PER"))
    assert link_holds(doc) == [Relation(1, 0, "HOLDS")]


def test_role_directly_before_person_links():
    doc = make_doc("Acara dibuka Kepala BKPSDM Komari dan Pj Bupati Bojonegoro Adriyanto.",
                   ("Kepala BKPSDM", "ROLE"), ("Komari", "PER"),
                   ("Pj Bupati Bojonegoro", "ROLE"), ("Adriyanto", "PER"))
    assert pairs(doc) == [("Komari", "Kepala BKPSDM"), ("Adriyanto", "Pj Bupati Bojonegoro")]


def test_rank_and_honorifics_between_role_and_person_are_allowed():
    doc = make_doc("Kapolres Pulau Buru, AKBP Nur Rahman, dan Camat Rancaekek, Ir. H. Diar Hadi hadir.",
                   ("Kapolres Pulau Buru", "ROLE"), ("Nur Rahman", "PER"),
                   ("Camat Rancaekek", "ROLE"), ("Diar Hadi", "PER"))
    assert pairs(doc) == [("Nur Rahman", "Kapolres Pulau Buru"), ("Diar Hadi", "Camat Rancaekek")]


def test_person_selaku_role_links():
    doc = make_doc("Benni Irwan selaku Pj Bupati meminta ASN netral.", ("Benni Irwan", "PER"), ("Pj Bupati", "ROLE"))
    assert pairs(doc) == [("Benni Irwan", "Pj Bupati")]


def test_person_comma_role_links_when_role_has_no_following_person():
    doc = make_doc("Hadir pula Syam Zamiat Nursyamsi, Ketua KPU Kabupaten Bandung.",
                   ("Syam Zamiat Nursyamsi", "PER"), ("Ketua KPU Kabupaten Bandung", "ROLE"))
    assert pairs(doc) == [("Syam Zamiat Nursyamsi", "Ketua KPU Kabupaten Bandung")]


def test_role_before_person_wins_over_person_before_role():
    # "A.Darmuji, Kepala BKPSDM ... Komari": the role belongs to Komari, not to A.Darmuji.
    doc = make_doc("Kepala Regional BKN A.Darmuji, Kepala BKPSDM Kabupaten Kapuas Komari hadir.",
                   ("Kepala Regional BKN", "ROLE"), ("A.Darmuji", "PER"),
                   ("Kepala BKPSDM Kabupaten Kapuas", "ROLE"), ("Komari", "PER"))
    assert pairs(doc) == [("A.Darmuji", "Kepala Regional BKN"), ("Komari", "Kepala BKPSDM Kabupaten Kapuas")]


def test_person_role_list_with_dan_is_not_linked_across_the_conjunction():
    doc = make_doc("disaksikan Gawi Gibrihi dan Sekda Buru, M. Ilias Hamid.",
                   ("Gawi Gibrihi", "PER"), ("Sekda Buru", "ROLE"), ("M. Ilias Hamid", "PER"))
    assert pairs(doc) == [("M. Ilias Hamid", "Sekda Buru")]


def test_speech_verb_blocks_link():
    doc = make_doc("diawasi Sekretaris Daerah, ” ujar Benni.", ("Sekretaris Daerah", "ROLE"), ("Benni", "PER"))
    assert link_holds(doc) == []


def test_sentence_end_blocks_link():
    doc = make_doc("Bupati Purwakarta. Benni hadir.", ("Bupati Purwakarta", "ROLE"), ("Benni", "PER"))
    assert link_holds(doc) == []


def test_span_between_blocks_link():
    doc = make_doc("Bupati Kapuas Bawaslu Komari", ("Bupati Kapuas", "ROLE"), ("Bawaslu", "ORG"), ("Komari", "PER"))
    assert link_holds(doc) == []


def test_three_gap_words_are_too_many():
    assert gap_allows_link(", Dr. H. Ir. ") is False
    assert gap_allows_link(", Dr. H. ") is True


def test_bare_person_then_role_needs_a_separator():
    assert gap_allows_link(" ", person_first=True) is False
    assert gap_allows_link(" ", person_first=False) is True
    assert gap_allows_link(" sebagai ", person_first=True) is True
    assert gap_allows_link(" (", person_first=True) is True


def test_newline_and_lowercase_words_block_link():
    assert gap_allows_link(",\n") is False
    assert gap_allows_link(" melalui ") is False
    assert gap_allows_link(" Dan ") is False


def test_indices_refer_to_unsorted_input_spans():
    text = "Sekda Kabupaten Bandung, Cakra Amiyana"
    doc = Doc("t", text, spans=[Span(25, 38, "PER"), Span(0, 23, "ROLE")])
    assert link_holds(doc) == [Relation(0, 1, "HOLDS")]


def test_each_span_is_linked_at_most_once():
    doc = make_doc("Bupati Buru Benni, Camat", ("Bupati Buru", "ROLE"), ("Benni", "PER"), ("Camat", "ROLE"))
    assert pairs(doc) == [("Benni", "Bupati Buru")]


def test_rules_reproduce_every_gold_holds_relation_of_the_seeds(gold_path):
    for doc in read_docs(gold_path):
        assert {(r.head, r.tail) for r in link_holds(doc)} == {(r.head, r.tail) for r in doc.relations}, doc.id
