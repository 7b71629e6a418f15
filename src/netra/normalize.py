"""Normalisation of span text to canonical values: dates, regulations, elections and person names.

Every function returns what it could resolve and says why when it could not; nothing is guessed.

Dates (`normalize_date`) become ISO 8601 strings:

- Numeric dates are day/month/year, as Indonesian writes them: "Rabu (11/10/2023)" -> 2023-10-11.
  When a span holds both a numeric and a written-out date, the numeric one is used.
- Month names in full, in old spellings (Pebruari, Nopember) and abbreviated (Agt, Agu, Okt, Des).
- A two-digit year is read as 20YY and flagged `two_digit_year`.
- Typo years: a four-character year in which a letter stands for a digit ("2o23", "2O23", "2l23")
  has only one reading, so it is corrected and flagged `year_typo_corrected`. Any other malformed
  year ("20233", "223") could be read several ways, so the date is left unresolved with a reason.
- Ranges ("29-30 November 2023", "30 November - 2 Desember 2023") give `value` and `end`.
- No year ("4 Nopember"): the year of the reference date, flagged `year_from_reference`; without a
  reference date the date is unresolved.
- A day name alone ("Senin") is the nearest such weekday on or before the reference date (news
  reports what already happened), flagged `from_weekday`; without a reference it is unresolved.
- A weekday that disagrees with the date ("Senin (11/10/2023)", a Wednesday) keeps the date and
  is flagged `weekday_mismatch`.

The reference date is the article's own date: `netra.records` uses no reference while it looks for
the article's event date, so an article's date never rests on a guess.

Regulations (`normalize_law`) become "<kind> <number>/<year>" keys ("PP 42/2024", "UU 20/2023");
regional and ministerial instruments keep their issuer as written ("Perbup Purwakarta 12/2023");
"Pasal 9 ayat (2)" goes to `article`; "SKB Lima Menteri" becomes the named instrument
"SKB 5 Menteri". A law named without number and year ("undang-undang ASN") is unresolved.

Elections (`normalize_event`) become one of "Pemilu <year>", "Pilkada <year>", "Pileg <year>",
"Pilpres <year>". The year comes from the span, or else from the article (the election year its
other EVENT spans name most often, see `election_year`), flagged `year_inferred`.

Person names (`merge_names`) are grouped within one article: full names that differ only in an
initial ("Ahmad M Saribi") or by one edit in a long token ("Djalaludin"/"Djalaluddin"), and
one-word mentions ("Benni") that fit exactly one full name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from netra.words import tokenize


@dataclass
class Normalized:
    """The canonical value of one span, or None with the reason it could not be resolved.

    `end` is the last day of a date range; `article` the "Pasal ..." part of a regulation.
    """

    value: str | None
    reason: str | None = None
    flags: list[str] = field(default_factory=list)
    end: str | None = None
    article: str | None = None


# ---------------------------------------------------------------- dates

WEEKDAYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "sabtu": 5,
    "minggu": 6, "ahad": 6,
}
WEEKDAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8,
    "agu": 8, "agt": 8, "ags": 8, "agst": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10,
    "okt": 10, "november": 11, "nopember": 11, "nov": 11, "nop": 11, "desember": 12, "des": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# A year as written, typos included: "2023", "23", "2o23", "20233".
_YEAR = r"\d[0-9oli]*"
_NUMERIC = re.compile(
    rf"(?<![\w/])(?P<d>\d{{1,2}})\s*(?P<sep>[/.\-])\s*(?P<m>\d{{1,2}})"
    rf"(?:\s*(?P=sep)\s*(?P<y>{_YEAR}))?(?![\w/])"
)
_WRITTEN = re.compile(
    rf"(?<!\w)(?P<d1>\d{{1,2}})(?:(?:\s+(?P<m1>{_MONTH})(?![a-z])\.?)?"
    rf"\s*(?:-|–|s\.?/?d\.?|sampai|hingga)\s*(?P<d2>\d{{1,2}}))?"
    rf"\s+(?P<m2>{_MONTH})(?![a-z])\.?(?:\s*,?\s*(?P<y>{_YEAR})(?!\w))?"
)
_WEEKDAY = re.compile(r"(?<![a-z])(" + "|".join(WEEKDAYS) + r")(?![a-z])")
_TYPO_DIGITS = str.maketrans({"o": "0", "l": "1", "i": "1"})


def parse_year(token: str) -> tuple[int | None, list[str], str | None]:
    """Read a year as written. Returns (year, flags, reason); year is None when malformed.

    Example::

        parse_year("2023")   # (2023, [], None)
        parse_year("23")     # (2023, ['two_digit_year'], None)
        parse_year("2o23")   # (2023, ['year_typo_corrected'], None)
        parse_year("20233")  # (None, [], "malformed year '20233' ...")
    """
    token = token.lower()
    if token.isdigit() and len(token) == 4:
        return int(token), [], None
    if token.isdigit() and len(token) == 2:
        return 2000 + int(token), ["two_digit_year"], None
    fixed = token.translate(_TYPO_DIGITS)
    if len(token) == 4 and fixed.isdigit():
        return int(fixed), ["year_typo_corrected"], None
    return None, [], f"malformed year {token!r}: it has more than one plausible reading, fix it by hand"


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def normalize_date(text: str, *, reference: dt.date | None = None) -> Normalized:
    """Normalise the text of a DATE span to an ISO 8601 date (rules in the module docstring).

    Args:
        text: the span text, e.g. "Senin kemarin (28/8/2023)".
        reference: the article's own date, used for a missing year or a day name alone.

    Example::

        normalize_date("Rabu (11/10/2023)").value              # '2023-10-11'
        normalize_date("29-30 November 2023").end              # '2023-11-30'
        normalize_date("Senin").reason                         # 'no reference date ...'
        normalize_date("Senin", reference=dt.date(2023, 10, 11)).value  # '2023-10-09'
    """
    lower = text.lower()
    weekday_match = _WEEKDAY.search(lower)
    weekday = WEEKDAYS[weekday_match.group(1)] if weekday_match else None
    flags: list[str] = []

    def year_of(token: str | None) -> tuple[int | None, str | None]:
        if token is None:
            if reference is None:
                return None, "no year and no reference date to take it from"
            flags.append("year_from_reference")
            return reference.year, None
        year, year_flags, reason = parse_year(token)
        flags.extend(year_flags)
        return year, reason

    numeric = _NUMERIC.search(lower)
    if numeric and numeric.group("y") is None and numeric.group("sep") != "/":
        numeric = None  # "10.00" is a clock time, not a day and month
    written = _WRITTEN.search(lower)
    if numeric:
        year, reason = year_of(numeric.group("y"))
        if year is None:
            return Normalized(None, reason, flags)
        day, month = int(numeric.group("d")), int(numeric.group("m"))
        start = _make_date(year, month, day)
        end = None
        if start is None:
            return Normalized(None, f"no such date: day {day}, month {month}, year {year}", flags)
    elif written:
        year, reason = year_of(written.group("y"))
        if year is None:
            return Normalized(None, reason, flags)
        month = MONTHS[written.group("m2")]
        first_month = MONTHS[written.group("m1")] if written.group("m1") else month
        last_day = int(written.group("d2") or written.group("d1"))
        start = _make_date(year, first_month, int(written.group("d1")))
        end = _make_date(year, month, last_day) if written.group("d2") else None
        if start is None or (written.group("d2") and end is None):
            return Normalized(None, f"no such date in {text!r}", flags)
        if end is not None and end < start:
            return Normalized(None, f"range {text!r} ends before it starts", flags)
    elif weekday is not None:
        if reference is None:
            return Normalized(None, "no reference date to resolve a day name against", flags)
        back = (reference.weekday() - weekday) % 7
        return Normalized((reference - dt.timedelta(days=back)).isoformat(), None, flags + ["from_weekday"])
    else:
        return Normalized(None, f"no date found in {text!r}", flags)
    if weekday is not None and start.weekday() != weekday:
        flags.append("weekday_mismatch")
    return Normalized(start.isoformat(), None, flags, end=end.isoformat() if end else None)


# ---------------------------------------------------------------- regulations

# (pattern on lower-cased text, canonical kind, keeps its issuer); more specific kinds first.
_LAW_KINDS: list[tuple[str, str, bool]] = [
    (r"peraturan pemerintah pengganti undang[- ]?undang|perppu", "Perppu", False),
    (r"peraturan pemerintah|pp", "PP", False),
    (r"undang[- ]?undang|uu", "UU", False),
    (r"peraturan presiden|perpres", "Perpres", False),
    (r"keputusan presiden|keppres", "Keppres", False),
    (r"instruksi presiden|inpres", "Inpres", False),
    (r"peraturan menteri pendayagunaan aparatur negara dan reformasi birokrasi|permen ?pan[- ]?rb",
     "PermenPAN-RB", False),
    (r"peraturan menteri dalam negeri|permendagri", "Permendagri", False),
    (r"peraturan menteri|permen", "Permen", True),
    (r"peraturan komisi pemilihan umum|peraturan kpu|pkpu", "PKPU", False),
    (r"peraturan badan pengawas pemilihan umum|peraturan bawaslu|perbawaslu", "Perbawaslu", False),
    (r"peraturan gubernur|pergub", "Pergub", True),
    (r"peraturan bupati|perbup", "Perbup", True),
    (r"peraturan wali ?kota|perwali|perwal", "Perwali", True),
    (r"peraturan daerah|perda", "Perda", True),
    (r"surat keputusan bersama|keputusan bersama|skb", "SKB", True),
    (r"surat edaran|se", "SE", True),
]
_LAW_KIND_RES = [(re.compile(rf"(?<![a-z])(?:{p})(?![a-z])", re.I), kind, issuer) for p, kind, issuer in _LAW_KINDS]
_ARTICLE = re.compile(
    r"pasal\s+(\d+[a-z]?)(?:\s+ayat\s*\(?\s*(\d+)\s*\)?)?(?:\s+huruf\s+([a-z])(?![a-z]))?", re.I
)
_NUMBER_WORD = r"(?:nomor|nomer|no|nmr)\.?"
_NUMBER_YEAR = re.compile(
    rf"(?:{_NUMBER_WORD}\s*)?(?P<num>\d+[a-z]?(?:/[0-9a-z.\-]+)*?)\s*(?:/|(?:tahun|thn|th)\.?)\s*(?P<year>\d{{4}})(?!\d)", re.I
)
_NUMBER = re.compile(rf"{_NUMBER_WORD}\s*\d", re.I)
_YEAR_ONLY = re.compile(r"(?:tahun|thn|th)\.?\s*\d{4}(?!\d)", re.I)
_NUMBER_WORDS = {
    "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8,
    "sembilan": 9, "sepuluh": 10, "sebelas": 11,
}
_SKB_MINISTERS = re.compile(r"skb\s+(\d+|" + "|".join(_NUMBER_WORDS) + r")\s+menteri", re.I)


def normalize_law(text: str) -> Normalized:
    """Normalise the text of a LAW span to a canonical key (rules in the module docstring).

    Example::

        normalize_law("Peraturan Pemerintah Nomor 42 Tahun 2024").value  # 'PP 42/2024'
        normalize_law("UU No. 5/2014").value                             # 'UU 5/2014'
        r = normalize_law("Pasal 9 ayat (2) UU Nomor 20 Tahun 2023")
        (r.value, r.article)                                   # ('UU 20/2023', 'Pasal 9 ayat (2)')
        normalize_law("undang-undang ASN").value               # None (reason says why)
    """
    rest = " ".join(text.split())
    article = None
    art = _ARTICLE.search(rest)
    if art:
        article = f"Pasal {art.group(1).lower()}"
        if art.group(2):
            article += f" ayat ({art.group(2)})"
        if art.group(3):
            article += f" huruf {art.group(3).lower()}"
        rest = f"{rest[: art.start()]} {rest[art.end() :]}".strip()
    ministers = _SKB_MINISTERS.search(rest)
    if ministers:
        n = ministers.group(1).lower()
        return Normalized(f"SKB {int(n) if n.isdigit() else _NUMBER_WORDS[n]} Menteri", article=article)
    # The leftmost kind named wins ("SE Bupati ... PP" is a circular); list order breaks ties.
    candidates = [(m.start(), n, m, kind, issuer)
                  for n, (pattern, kind, issuer) in enumerate(_LAW_KIND_RES)
                  if (m := pattern.search(rest))]
    if not candidates:
        return Normalized(None, f"unknown kind of regulation in {text!r}", article=article)
    _, _, found, kind, keeps_issuer = min(candidates, key=lambda c: c[:2])
    rest = rest[found.end() :]
    numbered = _NUMBER_YEAR.search(rest)
    if numbered is None:
        has_number, has_year = _NUMBER.search(rest), _YEAR_ONLY.search(rest)
        missing = "year" if has_number else "number" if has_year else "number and year"
        return Normalized(None, f"{text!r} names a {kind} without its {missing}", article=article)
    key = kind
    if keeps_issuer:
        # "Perbup Purwakarta Nomor 12 ..." : regional and ministerial numbers repeat across issuers.
        issuer = rest[: numbered.start()].strip(" ,")
        if issuer:
            key += " " + issuer
    return Normalized(f"{key} {numbered.group('num').upper()}/{numbered.group('year')}", article=article)


# ---------------------------------------------------------------- elections

# Regional elections first: "Pemilukada" also contains "pemilu".
_ELECTIONS = [
    (re.compile(r"pemilukada|pilkada|pemilihan kepala daerah|pilbup|pilwalkot|pilgub", re.I), "Pilkada"),
    (re.compile(r"pileg|pemilihan (?:umum )?legislatif|pemilu legislatif", re.I), "Pileg"),
    (re.compile(r"pilpres|pemilihan (?:umum )?presiden|pemilu presiden", re.I), "Pilpres"),
    (re.compile(r"pemilu|pemilihan umum", re.I), "Pemilu"),
]
_ELECTION_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def election_kind(text: str) -> str | None:
    """"Pilkada", "Pileg", "Pilpres" or "Pemilu" for an election mention, else None."""
    return next((kind for pattern, kind in _ELECTIONS if pattern.search(text)), None)


def election_year(texts: Sequence[str]) -> int | None:
    """The year an article's EVENT spans name most often for an election (first seen on ties).

    Example::

        election_year(["Pemilu 2024", "Pileg", "Pilkada 2024", "Porseni 2023"])  # 2024
    """
    years = [
        int(m.group())
        for t in texts
        if election_kind(t)
        for m in _ELECTION_YEAR.finditer(t)
    ]
    return Counter(years).most_common(1)[0][0] if years else None


def normalize_event(text: str, *, year: int | None = None) -> Normalized:
    """Map an EVENT span to the election it names: "Pemilu|Pilkada|Pileg|Pilpres <year>".

    Args:
        text: the span text, e.g. "Pemilihan Kepala Daerah (Pilkada) Serentak 2024".
        year: the article's election year (`election_year`), used when the span has none.

    Example::

        normalize_event("Pemilihan Umum (Pemilu) 2024").value  # 'Pemilu 2024'
        normalize_event("Pileg", year=2024).value               # 'Pileg 2024' (flag year_inferred)
        normalize_event("Porseni PGRI").reason                  # 'not an election: ...'
    """
    kind = election_kind(text)
    if kind is None:
        return Normalized(None, f"not an election: {text!r}")
    own = _ELECTION_YEAR.search(text)
    if own:
        return Normalized(f"{kind} {own.group()}")
    if year is None:
        return Normalized(None, f"{text!r} names no year and the article names no election year")
    return Normalized(f"{kind} {year}", flags=["year_inferred"])


# ---------------------------------------------------------------- person names


@dataclass
class Person:
    """One person in an article: the canonical name and which input mentions refer to them."""

    name: str
    mentions: list[int]
    flags: list[str] = field(default_factory=list)


def within_one_edit(a: str, b: str) -> bool:
    """Whether `b` is `a` with at most one character inserted, deleted or replaced."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    # After the first difference the rest must line up, either shifted by one or not at all.
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def _name_tokens(name: str) -> list[str]:
    return [w.text.casefold() for w in tokenize(name) if w.text[0].isalnum()]


def _same_token(a: str, b: str, *, initials: bool) -> bool:
    if a == b:
        return True
    if initials and (len(a) == 1 or len(b) == 1):
        return a[0] == b[0]
    # A one-letter slip in a short token too often turns one real name into another (Adi/Ali).
    return min(len(a), len(b)) >= 4 and within_one_edit(a, b)


def _same_full_name(a: list[str], b: list[str]) -> bool:
    return (
        len(a) == len(b)
        and all(_same_token(x, y, initials=True) for x, y in zip(a, b, strict=True))
        and any(x == y and len(x) > 1 for x, y in zip(a, b, strict=True))
    )


def merge_names(names: Sequence[str]) -> list[Person]:
    """Group the person mentions of one article into people.

    Full names (two or more words) are one person when they have the same number of words, each
    pair matches (same word, an initial of it, or one edit apart when both have 4+ letters) and at
    least one word is identical. A one-word mention joins the full name that contains that word
    (same matching, no initials) when exactly one does; when several do it stays apart, flagged
    `ambiguous`. The canonical name is the longest full mention, the earliest on ties.

    Args:
        names: mention texts in text order.

    Returns:
        People in order of first mention; `mentions` index into `names`.

    Example::

        people = merge_names(["Benni Irwan", "Benni", "Djalaludin Salampessy", "Djalaluddin Salampessy"])
        [(p.name, p.mentions) for p in people]
        # [('Benni Irwan', [0, 1]), ('Djalaluddin Salampessy', [2, 3])]
    """
    tokens = [_name_tokens(n) for n in names]
    full: list[list[int]] = []
    for i, toks in enumerate(tokens):
        if len(toks) < 2:
            continue
        home = next((g for g in full if _same_full_name(tokens[g[0]], toks)), None)
        if home is None:
            full.append([i])
        else:
            home.append(i)
    people = [Person(_canonical(names, tokens, g), g) for g in full]
    loose: dict[str, Person] = {}  # one-word mentions that join no full name, by word
    for i, toks in enumerate(tokens):
        if len(toks) >= 2:
            continue
        word = toks[0] if toks else names[i].casefold().strip()
        fits = [p for p in people[: len(full)]
                if any(_same_token(word, t, initials=False) for m in p.mentions for t in tokens[m])]
        if len(fits) == 1:
            fits[0].mentions.append(i)
        elif word in loose:
            loose[word].mentions.append(i)
        else:
            flags = [f"ambiguous: could be {' or '.join(p.name for p in fits)}"] if fits else []
            loose[word] = Person(names[i], [i], flags)
            people.append(loose[word])
    for p in people:
        p.mentions.sort()
    return sorted(people, key=lambda p: p.mentions[0])


def _canonical(names: Sequence[str], tokens: list[list[str]], group: list[int]) -> str:
    full = [i for i in sorted(group) if len(tokens[i]) >= 2] or sorted(group)
    return names[max(full, key=lambda i: (len(names[i]), -i))]
