"""Rule-based HOLDS linking: which person (PER span) holds which office (ROLE span).

Indonesian news names an official in a few fixed shapes, always with the two spans next to each
other and nothing but connective material between them:

- ROLE, PER       "Penjabat Bupati Purwakarta, Benni Irwan"
- ROLE PER        "Kepala BKPSDM Komari", "Pj Bupati Bojonegoro Adriyanto"
- ROLE, rank PER  "Kapolres Pulau Buru, AKBP Nur Rahman", "Camat Rancaekek, Ir. H. Diar"
- PER selaku ROLE "Benni Irwan selaku Pj Bupati"; also "PER sebagai ROLE", "PER, ROLE"

The rule (`gap_allows_link` is the exact test):

1. Only neighbouring spans are linked: no other span may lie between the PER and the ROLE.
2. The gap between them holds at most two words (`netra.words` units of letters/digits), each
   either a connective ("yaitu", "yakni", "selaku", "sebagai", "ialah", "adalah") or a capitalised
   token such as a rank, honorific or degree ("AKBP", "Dr", "H", "Prof", "S", "Sos"). A lower-case
   word ("ujar", "disaksikan", "melalui", "dan", "serta") means the sentence goes on to say
   something else, so it blocks the link; so do capitalised conjunctions ("Dan", "Serta").
3. Besides words, the gap may only hold commas, brackets, hyphens and the full stop of an
   abbreviation ("Dr.", "S.Sos."); any other full stop, a newline, quote marks or ; : ! ? end the
   sentence or the clause and block the link.
4. ROLE-before-PER is the dominant shape, so it is tried first over the whole document; a PER and a
   ROLE left over are then linked PER-before-ROLE, which needs a comma, an opening bracket or a
   connective in the gap (a bare "Komari Kepala Dinas" is too often two list items).
5. Each span takes part in at most one HOLDS relation.

A later short mention ("..., kata Cakra") gets no relation of its own: the office is stated once,
and `netra.normalize.merge_names` ties the short mention to the full name in the records.
"""

from __future__ import annotations

from netra.docs import Doc, Relation, Span
from netra.words import tokenize

MAX_GAP_WORDS = 2
CONNECTIVES = frozenset({"yaitu", "yakni", "selaku", "sebagai", "ialah", "adalah"})
# Capitalised at the start of a clause, these still join two clauses rather than name an office.
BLOCKING_WORDS = frozenset({"dan", "serta", "atau", "tetapi", "namun", "sedangkan", "bersama"})
_GAP_PUNCT = frozenset(",()-–")
# An abbreviation's full stop follows a short capitalised token: "Dr.", "H.", "Ir.", "S.Sos."
_MAX_ABBREV_LEN = 4


def gap_allows_link(gap: str, *, person_first: bool = False) -> bool:
    """Whether the text between a PER and a ROLE span is only connective material (rules 2-4 above).

    Args:
        gap: the text strictly between the two spans.
        person_first: True when the PER comes before the ROLE; that shape needs a comma, an
            opening bracket or a connective word in the gap.

    Example::

        gap_allows_link(", AKBP ")                       # True
        gap_allows_link(", ” ujar ")                     # False
        gap_allows_link(" selaku ", person_first=True)   # True
        gap_allows_link(" ", person_first=True)          # False
    """
    n_words = 0
    has_separator = False
    previous_word = ""
    for w in tokenize(gap):
        if w.text[0].isalnum():
            lower = w.text.lower()
            if lower in BLOCKING_WORDS:
                return False
            if lower in CONNECTIVES:
                has_separator = True
            elif not w.text[0].isupper():
                return False
            n_words += 1
            previous_word = w.text
            continue
        if w.text == ".":
            is_abbrev = previous_word[:1].isupper() and len(previous_word) <= _MAX_ABBREV_LEN
            if not is_abbrev:
                return False
        elif w.text not in _GAP_PUNCT:
            return False
        if w.text in ",(":
            has_separator = True
        previous_word = ""
    if "\n" in gap or n_words > MAX_GAP_WORDS:
        return False
    return has_separator or not person_first


def link_holds(doc: Doc) -> list[Relation]:
    """Link PER spans to the ROLE spans they hold, by the rules in this module's docstring.

    Args:
        doc: a document with PER and ROLE spans (gold or predicted); spans need not be sorted.

    Returns:
        HOLDS relations (head = PER, tail = ROLE) as indices into `doc.spans` as given, in text
        order. Existing `doc.relations` are ignored.

    Example::

        text = "Penjabat Bupati Purwakarta, Benni Irwan, membuka acara."
        doc = Doc("d1", text, spans=[Span(0, 26, "ROLE"), Span(28, 39, "PER")])
        link_holds(doc)  # [Relation(head=1, tail=0, label='HOLDS')]
    """
    order = sorted(range(len(doc.spans)), key=lambda i: (doc.spans[i].start, doc.spans[i].end))
    spans: list[Span] = [doc.spans[i] for i in order]
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []  # (per, role) positions in `spans`

    def try_pair(a: int, b: int, *, person_first: bool) -> None:
        if a in used or b in used:
            return
        if gap_allows_link(doc.text[spans[a].end : spans[b].start], person_first=person_first):
            used.update((a, b))
            pairs.append((a, b) if person_first else (b, a))

    neighbours = [(i, i + 1) for i in range(len(spans) - 1)]
    for a, b in neighbours:
        if spans[a].label == "ROLE" and spans[b].label == "PER":
            try_pair(a, b, person_first=False)
    for a, b in neighbours:
        if spans[a].label == "PER" and spans[b].label == "ROLE":
            try_pair(a, b, person_first=True)
    pairs.sort(key=lambda pr: spans[pr[0]].start)
    return [Relation(order[per], order[role], "HOLDS") for per, role in pairs]
