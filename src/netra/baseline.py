"""The rule baseline: spans, HOLDS relations and article types without training (`netra baseline`).

Every trained model has to beat this tagger. It is written from the label schema and from how
Indonesian news writes offices, names, places and dates, not fitted to particular articles. The
word lists are data (`netra/resources/lexicon.yaml`; provinces, regencies and cities from
Kemendagri codes in `netra/resources/regions.tsv`); this module holds the patterns.

A document is tagged in four steps:

1. Independent rules propose candidate spans, each with a rank (lower = more specific rule).
2. `resolve_conflicts` keeps a flat, non-overlapping subset: the longest candidate first, then
   the lower rank, then the earlier one. Longest-first lets "Bawaslu Kabupaten Garut" (ORG) win
   over the place inside it, and "Kepala Dinas Sosial" (ROLE) over the body inside it.
3. Names found by the person rules are tagged again wherever they recur in the text, in full or
   by one of their words ("Sutrisno" after "Agus Sutrisno"), where step 2 left the words free.
4. HOLDS relations come from `netra.relations.link_holds`; article types from keyword rules
   (`classify_types`).

The rules, by label:

- ROLE: an office head ("Bupati", "Sekda", "Kapolres", "camat", "kepala desa"), optionally after
  an acting prefix ("Pj", "Plt", "Penjabat atau Pj"), extended over the unit or jurisdiction
  written after it ("Kepala Badan Kepegawaian Daerah (BKD) Kabupaten Garut", "Asisten II Bidang
  Perekonomian", "Dandim 0611"). Heads such as "Kepala", "Ketua", "anggota" need such a unit.
  Candidates ("calon Bupati") are not offices.
- PER: capitalised name words after an office (optionally after a comma, a rank or titles, which
  stay outside), after a rank or honorific ("AKBP", "Prof.", "Bapak"), after a reporting verb
  ("kata Sutrisno"), or before "selaku"/"sebagai" + office. Degrees ("S.Sos.") end a name. In a
  headline (a title-case line) an office followed directly by capitalised words is not taken to
  name a person: every word is capitalised there.
- ORG: named bodies and abbreviations, "Pemerintah Kabupaten (Pemkab) X", "Pemkab X", an
  organisation head ("Badan", "Komisi", "Panitia") with its name and "(ABBR)", bodies with their
  place ("Bawaslu Kota X", "Polres X"), news sites ("contoh.co.id").
- LOC: "Kabupaten/Kota/Provinsi/Kecamatan/Desa X", regions and province short names alone,
  venues ("Aula ...", "Gedung ...", "Hotel ...", "Jalan ..."), the place of a dateline.
- DATE, EVENT, LAW: regular expressions built from the word lists (see `_date_regex`,
  `_event_regex`, `_law_regex`).
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import yaml
from tqdm import tqdm

from netra import __version__
from netra.docs import Doc, Span, write_docs
from netra.inputs import InputError, input_records
from netra.relations import link_holds
from netra.schema import Schema, load_schema
from netra.validate import Problem
from netra.words import Word, tokenize

MODEL_NAME = "netra-baseline"
RESOURCES = Path(__file__).resolve().parent / "resources"
LABELS = ("PER", "ROLE", "ORG", "LOC", "DATE", "EVENT", "LAW")
TYPE_KEYWORD_TYPES = ("pledge", "socialization", "political_education")
OTHER_TYPE = "other"

# Candidate ranks: between two equally long overlapping candidates the lower rank wins.
RANK_CONTEXT = 0  # offices, names found through their context, datelines
RANK_PATTERN = 1  # dates, events, laws, news sites
RANK_ORG = 2
RANK_PLACE = 3  # "Kabupaten X", venues
RANK_GAZETTEER = 4  # a region name alone

_ROMAN = re.compile(r"^(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3})$")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# Academic degrees after a name ("S.Sos", "M.Si", "S.Pd.I", "SH", "MM"): they end a name.
_DEGREE = re.compile(
    r"(?:[SMD]\.?\s?(?:Sos|Pd|H|E|T|Kom|IP|Ag|Si|Kep|Ked|Psi|Hut|P|STP|AP|M|Kes|Sc|Farm|Ak|Hum|Pi|"
    r"Ikom|Ars|Gz|KM|Tr|Th|Sn|Ds|Kn|Pt|Pd\.I|Sos\.I)|Ph\.?\s?D|Lc|MBA|MPA|MSi|SH|SE|ST|MM|MH|MT)\.?"
    r"(?![A-Za-z])"
)
# A news site as written in datelines and footers: "contoh.com", "BERITA-DAERAH.CO.ID".
_OUTLET = re.compile(
    r"(?<![\w@/.:-])[A-Za-z][A-Za-z0-9-]*\.(?:co\.id|or\.id|go\.id|web\.id|my\.id|com|id|net|org|news|tv)"
    r"(?![\w-]|\.\w|/\w)",
    re.IGNORECASE,
)
_INLINE_GAP = re.compile(r"^[ \t\u00a0]*$")
_SP = r"[ \t\u00a0]"  # spaces within a line: no span crosses a line break
# Between a dateline's place/site and the article: "GARUT –", "Garut, Contoh.id -".
_DATELINE = re.compile(
    r"^[ \t]*(?P<a>[^\n,–—:]{2,60}?)(?:,[ \t]*(?P<b>[^\n,–—:]{2,60}?))?[ \t]+[–—-][ \t]+\S"
)


# ---------------------------------------------------------------------------------------------
# Word lists


class PhraseSet:
    """Multi-word phrases matched word by word against `netra.words` units.

    Args:
        phrases: the phrases as written.
        exact_case: match the phrase's own spelling (or its upper-case form) only; otherwise
            case is ignored and callers check capitalisation themselves.
    """

    def __init__(self, phrases: Iterable[str], *, exact_case: bool = False):
        self.exact_case = exact_case
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            toks = tuple(w.text for w in tokenize(phrase))
            if toks:
                self._by_first.setdefault(toks[0].lower(), []).append(toks)
        for entries in self._by_first.values():
            entries.sort(key=len, reverse=True)

    def _same(self, entry: str, word: str) -> bool:
        return not self.exact_case or word == entry or (word == entry.upper() and len(word) > 1)

    def match(self, scan: _Scan, i: int) -> int | None:
        """End (exclusive word index) of the longest phrase starting at word i, or None."""
        if i >= scan.n:
            return None
        for toks in self._by_first.get(scan.low[i], ()):
            end = i + len(toks)
            if end > scan.n or not all(scan.attached[k] for k in range(i + 1, end)):
                continue
            if all(
                self._same(t, scan.w[i + k]) if self.exact_case else t.lower() == scan.low[i + k]
                for k, t in enumerate(toks)
            ):
                return end
        return None


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass(frozen=True)
class Lexicon:
    """The baseline's word lists (lexicon.yaml) and region names (regions.tsv)."""

    raw: dict
    regions: frozenset[str]  # squashed names: provinces, regencies, cities, aliases
    regions_not_alone: frozenset[str]
    phrases: dict[str, PhraseSet] = field(default_factory=dict)
    words: dict[str, frozenset[str]] = field(default_factory=dict)  # lower-cased single words

    def ps(self, name: str) -> PhraseSet:
        return self.phrases[name]

    def has(self, name: str, word: str) -> bool:
        return word.lower() in self.words[name]


_PHRASE_SECTIONS = {
    "election_names": False,
    "law_types": False,
    "org_names": True,
    "org_heads": True,
    "org_with_locator": True,
    "government_short": False,
    "place_units": True,
    "venue_heads": True,
    "role_complete": False,
    "role_needs_unit": False,
    "role_lowercase_ok": True,
    "role_acting": True,
}
_WORD_SECTIONS = (
    "days",
    "months",
    "day_modifiers",
    "election_abbreviations",
    "place_units_abbreviated",
    "locative_words",
    "role_blockers",
    "unit_words",
    "honorifics",
    "ranks",
    "speech_verbs",
    "function_words",
    "not_names",
    "government_short",
    "org_names",
    "org_heads",
    "place_units",
    "venue_heads",
    "law_short_names",
    "org_heads_named",
    "reporting_verbs",
)


def read_regions(path: Path) -> list[str]:
    """Region names from a regions.tsv file (code, kind, name; '#' lines are comments)."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            names.append(line.split("\t")[2].strip())
    return names


@functools.lru_cache(maxsize=4)
def load_lexicon(folder: str | Path | None = None) -> Lexicon:
    """Load lexicon.yaml and regions.tsv from `folder` (default: the packaged resources).

    Example::

        lex = load_lexicon()
        lex.has("days", "Rabu")  # True
    """
    folder = Path(folder) if folder else RESOURCES
    raw = yaml.safe_load((folder / "lexicon.yaml").read_text(encoding="utf-8"))
    regions = read_regions(folder / "regions.tsv") + list(raw["region_aliases"])
    phrases = {name: PhraseSet(raw[name], exact_case=exact) for name, exact in _PHRASE_SECTIONS.items()}
    first_words = {
        w.lower()
        for section in ("role_complete", "role_needs_unit", "role_acting", "law_types", "election_names")
        for phrase in raw[section]
        for w in phrase.split()[:1]
    }
    words = {name: frozenset(str(w).lower() for w in raw[name]) for name in _WORD_SECTIONS}
    words["head_first_words"] = frozenset(first_words)
    return Lexicon(
        raw=raw,
        regions=frozenset(_squash(r) for r in regions),
        regions_not_alone=frozenset(_squash(r) for r in raw["regions_not_alone"]),
        phrases=phrases,
        words=words,
    )


# ---------------------------------------------------------------------------------------------
# Candidates and conflicts


@dataclass(frozen=True)
class Candidate:
    """A proposed span: character range, label, rank (lower wins ties) and the rule's name."""

    start: int
    end: int
    label: str
    rank: int
    rule: str = ""


def resolve_conflicts(candidates: Iterable[Candidate], *, taken: Sequence[Span] = ()) -> list[Span]:
    """Keep a flat, non-overlapping subset of candidates, sorted by offset.

    The longest candidate is kept first; between equally long ones the lower rank, then the
    earlier start. A candidate that overlaps a kept one (or a span in `taken`) is dropped.

    Example::

        resolve_conflicts([Candidate(0, 16, "LOC", 3), Candidate(0, 25, "ORG", 2)])
        # [Span(0, 25, 'ORG')]
    """
    kept: list[Span] = []
    occupied = list(taken)
    order = sorted(set(candidates), key=lambda c: (-(c.end - c.start), c.rank, c.start, c.label))
    for c in order:
        span = Span(c.start, c.end, c.label)
        if not any(span.overlaps(o) for o in occupied):
            kept.append(span)
            occupied.append(span)
    return sorted(kept)


# ---------------------------------------------------------------------------------------------
# Scanning one text


def _title_case_flags(text: str, words: Sequence[Word]) -> list[bool]:
    """Per word: does it lie on a headline, a short title-case line where capitals say little?

    A headline has at most 20 words, does not end like a sentence, and at least 3/4 of its words
    of three letters or more are capitalised.
    """
    flags = [False] * len(words)
    k = 0
    pos = 0
    for line in text.splitlines(keepends=True):
        end = pos + len(line)
        first = k
        while k < len(words) and words[k].start < end:
            k += 1
        alpha = [w.text for w in words[first:k] if w.text.isalpha()]
        long = [w for w in alpha if len(w) >= 3]
        stripped = line.rstrip()
        if (
            long
            and len(alpha) <= 20
            and not stripped.endswith((".", "!", "?", "…", '"', "”"))
            and sum(w[0].isupper() for w in long) >= 0.75 * len(long)
        ):
            flags[first:k] = [True] * (k - first)
        pos = end
    return flags


def _looks_common_noun(word: str) -> bool:
    """Derived Indonesian nouns ("Kepegawaian", "Pengawas", "Verifikasi") are unit names, not names."""
    w = word.lower()
    if len(w) < 7:
        return False
    if w.endswith("an") and w.startswith(("ke", "pe", "per", "pen", "pem", "peng")):
        return True
    return w.endswith(("asi", "isasi")) or w.startswith(("peng", "peny", "pemb", "pemi", "pena"))


class _Scan:
    """One text cut into `netra.words` units, with the pattern pieces the rules are built from.

    Every method takes a word index and returns the (exclusive) end index of what it matched,
    or None.
    """

    def __init__(self, text: str, lex: Lexicon):
        self.text = text
        self.lex = lex
        self.words = tokenize(text)
        self.n = len(self.words)
        self.w = [x.text for x in self.words]
        self.low = [x.lower() for x in self.w]
        pairs = list(pairwise(self.words))
        # attached[i]: word i follows word i-1 on the same line with nothing but spaces between.
        self.attached = [False] + [bool(_INLINE_GAP.match(text[a.end : b.start])) for a, b in pairs]
        self.glued = [False] + [a.end == b.start for a, b in pairs]
        self.headline = _title_case_flags(text, self.words)

    # --- single words

    def cap(self, i: int) -> bool:
        return i < self.n and self.w[i][:1].isupper()

    def allcaps(self, i: int) -> bool:
        w = self.w[i] if i < self.n else ""
        return len(w) >= 2 and w.isalpha() and w.isupper()

    def follows(self, i: int) -> bool:
        """Word i exists and continues the previous word's line."""
        return i < self.n and self.attached[i]

    def is_(self, section: str, i: int) -> bool:
        return i < self.n and self.lex.has(section, self.w[i])

    def unit_word(self, i: int) -> int | None:
        """A word that can be part of a unit's name: "Bidang", "II", "0611", "BKD", "Kepegawaian"."""
        if i >= self.n:
            return None
        w = self.w[i]
        if self.low[i] in ("dalam", "luar") and self.follows(i + 1) and self.low[i + 1] == "negeri":
            return i + 2  # "Kementerian Dalam Negeri"
        # Derived nouns count only outside headlines, where capitalised verbs look the same.
        if self.cap(i) and (self.is_("unit_words", i) or (_looks_common_noun(w) and not self.headline[i])):
            return i + 1
        if self.allcaps(i) and not self.is_("not_names", i) and len(w) <= 12:
            return i + 1
        if _ROMAN.match(w) or (w.isdigit() and len(w) <= 5 and not _YEAR.match(w)):
            return i + 1
        # "Komisi A": a single capital letter that is not an initial ("A.")
        if len(w) == 1 and w.isupper() and not (self.follows(i + 1) and self.w[i + 1] == "."):
            return i + 1 if i > 0 and self.low[i - 1] in ("komisi", "bagian", "seksi", "sub") else None
        return None

    def name_word(self, i: int, *, first: bool) -> int | None:
        """A capitalised word that can be part of a person's name ("Sutrisno", "Ma'ruf")."""
        if i >= self.n:
            return None
        w = self.w[i]
        if len(w) < 2 or not w.isalpha() or not w[0].isupper() or w.isupper():
            return None
        for section in (
            "function_words",
            "not_names",
            "days",
            "months",
            "honorifics",
            "ranks",
            "place_units",
            "venue_heads",
            "org_names",
            "org_heads",
            "unit_words",
            "government_short",
            "election_abbreviations",
            "head_first_words",
            "speech_verbs",
        ):
            if self.is_(section, i):
                return None
        if _looks_common_noun(w) or (first and self.region(i, alone=True)):
            return None
        end = i + 1
        # "Ma'ruf": an apostrophe inside a name
        if end + 1 < self.n and self.w[end] in ("'", "’") and self.glued[end] and self.glued[end + 1]:
            end += 2
        return end

    def degree(self, i: int) -> bool:
        return i < self.n and _DEGREE.match(self.text, self.words[i].start) is not None

    # --- phrases

    def region(self, i: int, *, alone: bool = False) -> int | None:
        """A province, regency, city or province short name ("Jawa Barat", "Garut", "Jabar")."""
        if not self.cap(i):
            return None
        for size in (4, 3, 2, 1):
            end = i + size
            if end > self.n or not all(self.attached[k] for k in range(i + 1, end)):
                continue
            if not self.w[end - 1].isalnum():
                continue
            key = _squash("".join(self.w[i:end]))
            if key in self.lex.regions and not (alone and key in self.lex.regions_not_alone):
                return end
        return None

    def place_unit(self, i: int) -> int | None:
        """ "Kabupaten", "Kota", ... or their short forms with a full stop ("Kab.")."""
        if not self.cap(i):
            return None
        end = self.lex.ps("place_units").match(self, i)
        if (
            end is None
            and self.is_("place_units_abbreviated", i)
            and self.follows(i + 1)
            and self.w[i + 1] == "."
        ):
            end = i + 2
        return end

    def proper_chain(self, i: int, *, max_words: int = 3) -> int | None:
        """Up to `max_words` capitalised words that are not function words or office heads.

        In a headline only one word is taken: the next capitalised word is as likely a verb.
        """
        if i < self.n and self.headline[i]:
            max_words = 1
        end = None
        k = i
        while k < self.n and k - i < max_words and (k == i or self.attached[k]):
            if not self.cap(k) or not self.w[k].isalpha():
                break
            if any(
                self.is_(s, k)
                for s in ("function_words", "not_names", "days", "months", "place_units", "head_first_words")
            ):
                break
            k += 1
            end = k
        return end

    def jurisdiction(self, i: int) -> int | None:
        """ "Kabupaten Garut", "Kota Baru Selatan", "Provinsi Jawa Barat", or a region alone."""
        unit = self.place_unit(i)
        if unit is not None and self.follows(unit):
            end = self.region(unit) or self.proper_chain(unit)
            if end is not None:
                return end
        return self.region(i)

    def paren_abbr(self, i: int) -> int | None:
        """A bracketed short form: "(BKD)", "(Pemkab)", "(Satpol PP)"."""
        if i >= self.n or self.w[i] != "(" or not self.cap(i + 1):
            return None
        k = i + 1
        while self.follows(k) and k - i <= 4 and self.w[k] != ")":
            if not (self.w[k].isalnum() or self.w[k] in "-."):
                return None
            k += 1
        if not self.follows(k) or self.w[k] != ")" or k == i + 1:
            return None
        return k + 1

    def paren_expansion(self, i: int) -> int | None:
        """A bracketed full name after a short form: "BKD (Badan Kepegawaian Daerah)"."""
        if i >= self.n or self.w[i] != "(" or not self.follows(i + 1):
            return None
        inner = self.org_head_name(i + 1)
        if inner is not None and inner < self.n and self.w[inner] == ")":
            return inner + 1
        return None

    def org_head_name(self, i: int, *, strict: bool = False) -> int | None:
        """ "Badan Pengawas Pemilu", "Komisi Aparatur Sipil Negara (KASN)", "Panitia Pemilihan".

        The words after the head must look like parts of a unit's name; any capitalised words
        are accepted when a bracketed short form closes the name (unless `strict`).
        """
        head = self.lex.ps("org_heads").match(self, i)
        if head is None or not self.follows(head):
            return None
        if self.is_("org_heads_named", i):
            return self._named_org(head)
        k = head
        unit_end = None  # end while every word after the head looks like part of a unit's name
        any_end = None
        all_unit = True
        closed = False  # the name ended in a jurisdiction
        while self.follows(k) and k - head < 12:
            if (
                k > head
                and self.low[k] in ("dan", "&")
                and self.follows(k + 1)
                and self.cap(k + 1)
                and not self.is_("org_names", k + 1)
            ):
                k += 1
                continue
            if self.place_unit(k) is not None:
                # "Tim Penilai Sekolah Provinsi Jawa Tengah": a jurisdiction closes the name.
                place = self.jurisdiction(k)
                if place is not None:
                    k = any_end = place
                    closed = True
                    break
            step = self.unit_word(k) or self.lex.ps("org_names").match(self, k) or self.region(k)
            if (
                step is None
                and self.cap(k)
                and self.w[k].isalpha()
                and not (self.is_("function_words", k) or self.is_("head_first_words", k))
            ):
                step = k + 1
                all_unit = False
            if step is None:
                break
            k = any_end = step
            if all_unit:
                unit_end = k
        if closed and (all_unit or not strict):
            return any_end
        if any_end is not None and not strict:
            abbr = self.paren_abbr(any_end)
            if abbr is not None:
                return abbr
        if unit_end is None:
            return None
        return self.paren_abbr(unit_end) or unit_end

    def _named_org(self, head: int) -> int | None:
        """The name after a school, university or party head: "SMAN 2 Garut", "Partai Maju Bersama (PMB)".

        Up to five words when a bracketed short form closes the name; otherwise one word, and a
        second only when it is a number, a place or a unit word, since a person's name often
        follows ("Politikus Partai Maju Sutrisno").
        """
        end = head
        while (
            self.follows(end)
            and end - head < 5
            and (self.w[end].isdigit() or self.proper_chain(end, max_words=1))
        ):
            end += 1
        if end == head:
            return None
        closed = self.paren_abbr(end) if self.follows(end) else None
        if closed is not None:
            return closed
        second = head + 1
        if end > second and (
            self.w[second].isdigit()
            or self.w[head].isdigit()
            or self.region(second)
            or self.unit_word(second)
        ):
            return second + 1
        return second

    def body(self, i: int, *, strict: bool = False) -> int | None:
        """An organisation, with its bracketed short form and its jurisdiction when contiguous."""
        if i >= self.n:
            return None
        ends = []
        # "Pemerintah Kabupaten (Pemkab) Garut", also in lower case: "pemerintah Kota Bogor"
        if self.low[i] == "pemerintah" and self.follows(i + 1):
            unit = self.place_unit(i + 1)
            if unit is not None:
                k = self.paren_abbr(unit) if self.follows(unit) else None
                k = k or unit
                if self.follows(k):
                    end = self.region(k) or self.proper_chain(k)
                    if end is not None:
                        ends.append(end)
        if self.cap(i):
            gov = self.lex.ps("government_short").match(self, i)
            if gov is not None:
                place = (
                    (self.jurisdiction(gov) or self.proper_chain(gov, max_words=2))
                    if self.follows(gov)
                    else None
                )
                ends.append(place or gov)
            known = self.lex.ps("org_names").match(self, i)
            if known is not None:
                end = known
                if self.follows(end):
                    end = self.paren_expansion(end) or self.paren_abbr(end) or end
                ends.append(end)
            named = self.org_head_name(i, strict=strict)
            if named is not None:
                ends.append(named)
        if not ends:
            return None
        end = max(ends)
        # Bodies named by their place ("Polres Garut", "Kodim 0611") and bodies of a region
        # ("Bawaslu Kota Bogor", "KPU Jawa Barat").
        if self.follows(end):
            if self.lex.ps("org_with_locator").match(self, i) == end:
                w = self.w[end]
                if w.isdigit() and not _YEAR.match(w):
                    return end + 1
                return self.jurisdiction(end) or self.proper_chain(end, max_words=1) or end
            return self.jurisdiction(end) or end
        return end

    def titles(self, i: int) -> int:
        """Skip honorifics and ranks before a name ("Dr. H.", "AKBP", "Kombes Pol."); returns the index after."""
        k = i
        while (
            k < self.n
            and (k == i or self.attached[k])
            and (self.is_("honorifics", k) or self.is_("ranks", k))
        ):
            w = self.w[k]
            if not (w[0].isupper() or w in ("dr",)):
                break
            dotted = self.follows(k + 1) and self.w[k + 1] == "." and self.glued[k + 1]
            if len(w) == 1 and not dotted:  # "H" without its full stop is more likely an initial
                break
            k += 2 if dotted else 1
        return k

    def name(self, i: int, *, max_words: int = 4) -> int | None:
        """A person's name: capitalised name words and initials ("M. Yusuf Hamid", "A.Rahman")."""
        k = i
        end = None
        count = 0
        while k < self.n and count < max_words and (k == i or self.attached[k]):
            if self.degree(k):
                break
            w = self.w[k]
            if len(w) == 1 and w.isupper():  # an initial, kept only when a name word follows
                nxt = k + 1
                if nxt < self.n and self.w[nxt] == "." and self.glued[nxt]:
                    nxt += 1
                if self.follows(nxt) and self.name_word(nxt, first=False):
                    k = nxt
                    continue
                break
            step = self.name_word(k, first=count == 0)
            if step is None:
                break
            k = step
            end = k
            count += 1
        return end

    def name_before(self, i: int) -> int | None:
        """Start of a name that ends right before word i, or None."""
        start = i
        while (
            start > 0
            and self.attached[start]
            and (
                self.name_word(start - 1, first=False)
                or len(self.w[start - 1]) == 1
                or self.w[start - 1] == "."
            )
        ):
            start -= 1
        while start < i and self.name(start) != i:
            start += 1
        return start if start < i else None

    # --- offices

    def acting(self, i: int) -> int | None:
        """ "Pj", "Plt.", "Penjabat atau Pj", "Pelaksana Tugas (Plt)" before an office."""
        end = self._acting_word(i)
        if end is None:
            return None
        if self.follows(end):
            end = self.paren_abbr(end) or end
        if self.follows(end) and self.low[end] in ("atau", "/"):
            alt = self._acting_word(end + 1) if self.follows(end + 1) else None
            end = alt or end
        return end

    def _acting_word(self, i: int) -> int | None:
        end = self.lex.ps("role_acting").match(self, i)
        if end is not None and end < self.n and self.w[end] == "." and self.glued[end]:
            end += 1
        return end

    def office(self, i: int) -> tuple[int, bool] | None:
        """An office head at word i: (end, complete); an incomplete head ("Kepala") needs a unit.

        Lower case only for generic offices ("camat", "kepala desa").
        """
        complete = self.lex.ps("role_complete").match(self, i)
        needs = self.lex.ps("role_needs_unit").match(self, i)
        if complete is None and needs is None:
            return None
        if not self.cap(i) and self.lex.ps("role_lowercase_ok").match(self, i) is None:
            return None
        if complete is not None and (needs is None or complete >= needs):
            return complete, True
        assert needs is not None
        return needs, False

    def unit_run(self, i: int) -> int:
        """Extend an office over its unit and jurisdiction: "Bidang Hukum dan Politik Setda Kota Bogor"."""
        k = i
        while self.follows(k):
            step = (
                self.body(k, strict=True) or self.jurisdiction(k) or self.paren_abbr(k) or self.unit_word(k)
            )
            if step is None and self.low[k] == "dan" and self.follows(k + 1) and self.cap(k + 1):
                after = self.unit_word(k + 1)
                step = after if after is not None and not self.allcaps(k + 1) else None
            if step is None:
                break
            k = step
        return k

    def role(self, i: int) -> int | None:
        """End of an office starting at word i ("Penjabat Bupati Garut", "Kepala BKD"), or None."""
        if i > 0 and self.attached[i] and self.low[i - 1] in self.lex.words["role_blockers"]:
            return None
        k = i
        acting = self.acting(i)
        if acting is not None:
            if not self.follows(acting):
                return None
            k = acting
        head = self.office(k)
        if head is None:
            return None
        end, complete = head
        if self.follows(end):
            end = self.paren_abbr(end) or end
        unit_end = self.unit_run(end)
        if not complete and unit_end == end:
            return None
        # After a village-level office the next capitalised word names its place: always after
        # "Kepala Desa"/"Dusun"/"Kelurahan", and after "Camat"/"Lurah"/"Kades" when a comma and a
        # name follow ("Camat Cibeber, Ir. Budi"), since "Camat Budi" may also name the person.
        if unit_end == end and self.follows(end):
            last = self.low[end - 1]
            place = self.proper_chain(end, max_words=1)
            if place is not None and (
                last in ("desa", "dusun", "kelurahan")
                or (last in ("camat", "lurah", "kades") and self._comma_then_person(place))
            ):
                unit_end = place
        return unit_end

    def _comma_then_person(self, k: int) -> bool:
        """Does ", <titles> Name" follow at word k?"""
        if not self.follows(k) or self.w[k] != ",":
            return False
        start = k + 1
        if not self.follows(start):
            return False
        after = self.titles(start)
        return after > start or self.name(after) is not None

    def person_after(self, k: int) -> tuple[int, int] | None:
        """The name after an office ending at word k: "Bupati Garut, Dr. H. Asep Rahmat" -> "Asep Rahmat"."""
        if not self.follows(k):
            return None
        comma = self.w[k] == ","
        start = k + 1 if comma else k
        if comma and not self.follows(start):
            return None
        after = self.titles(start)
        if self.headline[k - 1] and not comma and after == start:
            return None
        end = self.name(after)
        return (after, end) if end is not None else None


# ---------------------------------------------------------------------------------------------
# Regular expressions for dates, events and laws


def _alternation(items: Iterable[str], *, upper: bool = True) -> str:
    forms = set()
    for item in items:
        forms.add(item)
        if upper:
            forms.add(item.upper())
    return "|".join(re.escape(f).replace(r"\ ", rf"{_SP}+") for f in sorted(forms, key=len, reverse=True))


def _date_regex(lex: Lexicon) -> re.Pattern[str]:
    day = _alternation(lex.raw["days"])
    month = _alternation(lex.raw["months"] + [m.lower() for m in lex.raw["months"]])
    mod = _alternation(lex.raw["day_modifiers"], upper=False)
    numeric = r"\d{1,2}/\d{1,2}(?:/(?:\d{4}|\d{2}))?"
    written = rf"\d{{1,2}}{_SP}+(?:{month})\.?(?:{_SP}+\d{{4}})?(?!\w)|(?:{month}){_SP}+\d{{4}}(?!\w)"
    dated = rf"(?:{_SP}+(?:{mod}))?,?{_SP}*(?:\({numeric}\)|{written}|\d{{1,2}}/\d{{1,2}}/\d{{4}})"
    return re.compile(rf"(?<!\w)(?:(?:{day})(?!\w)(?:{dated})?|\({numeric}\)|{written})")


def _event_regex(lex: Lexicon) -> re.Pattern[str]:
    abbrs = lex.raw["election_abbreviations"]
    cap_abbr = _alternation(abbrs)
    low_abbr = _alternation([a.lower() for a in abbrs], upper=False)
    names = _alternation(lex.raw["election_names"], upper=True)
    # "Pemilihan umum 2024": the capital P makes the name; "umum" is often lower case.
    names = names + "|" + rf"Pemilihan{_SP}+umum"
    paren = rf"(?:{_SP}*\((?:{cap_abbr})\))?"
    serentak = rf"(?:{_SP}+[Ss]erentak)?"
    year = rf"{_SP}+(?:19|20)\d\d(?!\d)"
    cap = r"[A-Z][\w'’-]*"
    chain = rf"{cap}(?:[ ]{cap}){{0,3}}"
    return re.compile(
        rf"(?<![\w-])(?:(?:{names}){paren}{serentak}(?:{year})?"
        rf"|(?:{cap_abbr}){serentak}(?:{year})?"
        rf"|(?:{low_abbr}){serentak}{year}"
        rf"|(?:HUT|Hari{_SP}+Ulang{_SP}+Tahun(?:{_SP}+\(HUT\))?)(?:{_SP}+ke-?{_SP}?\d+)?{_SP}+{chain}(?:{_SP}+ke-?{_SP}?\d+)?"
        rf"|[Hh]ari{_SP}+{chain}{_SP}+ke-?{_SP}?\d+)(?![\w-])"
    )


def _law_regex(lex: Lexicon) -> re.Pattern[str]:
    types = lex.raw["law_types"]
    kinds = _alternation(types + [t.lower() for t in types if " " in t or "-" in t])
    short = _alternation(lex.raw["law_short_names"])
    uu = r"(?:UU|[Uu]ndang-[Uu]ndang)"
    # Capitalised issuer words between the kind and the number: "Peraturan Menteri Dalam Negeri".
    issuer = rf"(?:{_SP}+(?!Nomor\b|No\b|NOMOR\b)[A-Z][\w-]*){{0,6}}"
    number = rf"{_SP}+(?:Nomor|nomor|NOMOR|No|no|NO)\.?{_SP}*\d+[\w./-]*?(?:{_SP}+[Tt]ahun{_SP}+\d{{4}})?(?=[ \t\u00a0,.;:)]|$)"
    slash_year = rf"{_SP}+\d+/\d{{4}}"
    year_only = rf"{_SP}+[Tt]ahun{_SP}+\d{{4}}"
    pasal = rf"(?:Pasal{_SP}+\d+[a-z]?(?:{_SP}+[Aa]yat{_SP}+\(?\d+\)?)?(?:{_SP}+huruf{_SP}+[a-z])?{_SP}+)?"
    return re.compile(
        rf"(?<![\w-]){pasal}(?:(?:{kinds}){issuer}(?:{number}|{slash_year})"
        rf"|(?:{kinds}){year_only}"
        rf"|{uu}{_SP}+(?:{short})(?!\w)"
        rf"|UUD{_SP}+(?:NRI{_SP}+)?(?:Tahun{_SP}+)?1945"
        rf"|(?:SKB|Surat{_SP}+Keputusan{_SP}+Bersama(?:{_SP}+\(SKB\))?){_SP}+(?:\w+{_SP}+)?Menteri)(?![\w-])"
    )


# ---------------------------------------------------------------------------------------------
# Article types


def article_paragraphs(text: str, *, lexicon: Lexicon | None = None) -> list[str]:
    """The article's own paragraphs: non-empty lines, without web-page teasers and link lists.

    A "Baca Juga: ..." line is dropped; from a "Recent Posts"-style header to the end nothing
    belongs to the article.
    """
    lex = lexicon or load_lexicon()
    line_starts = tuple(lex.raw["furniture_line_starts"])
    section_starts = tuple(lex.raw["furniture_section_starts"])
    out = []
    for line in text.splitlines():
        s = line.strip()
        low = s.lower()
        if not s:
            continue
        if low.startswith(section_starts):
            break
        if low.startswith(line_starts):
            continue
        out.append(s)
    return out


def _keyword_regex(keywords: Sequence[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(keywords, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alts})(?!\w)", re.IGNORECASE)


def classify_types(text: str, *, lexicon: Lexicon | None = None) -> tuple[list[str], dict[str, float]]:
    """Article types from keywords, with a score per type.

    A type fires when one of its keywords (lexicon.yaml `type_keywords`, whole words) is in the
    lead, the headline and the first two paragraphs of eight words or more, where news reports
    what happened; or when its keywords occur at least twice in the article. "other" fires when
    no type does. Scores: a fired type 0.5 + 0.5 * n/(n+1) for n hits (above 0.5); a type with a
    single hit outside the lead 0.25; otherwise 0.0.

    Example::

        classify_types("Ikrar Netralitas ASN Digelar\\n\\nGARUT - Ratusan ASN membacakan ikrar ...")
        # (['pledge'], {'pledge': 0.833333, 'socialization': 0.0, 'political_education': 0.0, 'other': 0.0})
    """
    lex = lexicon or load_lexicon()
    paras = article_paragraphs(text, lexicon=lex)
    lead = paras[:1] + [p for p in paras[1:] if len(p.split()) >= 8][:2]
    lead_text, body_text = "\n".join(lead), "\n".join(paras)
    types: list[str] = []
    scores: dict[str, float] = {}
    for name in TYPE_KEYWORD_TYPES:
        rx = _keyword_regex(lex.raw["type_keywords"][name])
        hits = len(rx.findall(body_text))
        fired = bool(rx.search(lead_text)) or hits >= 2
        if fired:
            types.append(name)
            scores[name] = round(0.5 + 0.5 * hits / (hits + 1), 6)
        else:
            scores[name] = 0.25 if hits else 0.0
    if not types:
        types.append(OTHER_TYPE)
    scores[OTHER_TYPE] = 1.0 if types == [OTHER_TYPE] else 0.0
    return types, scores


# ---------------------------------------------------------------------------------------------
# The tagger


class BaselineTagger:
    """Rule-based spans, HOLDS relations and article types.

    Args:
        lexicon: word lists (default: the packaged resources).
        schema: label schema; it must know every label and article type the baseline writes.

    Example::

        tagger = BaselineTagger()
        doc = tagger.predict_doc(Doc("d1", "Bupati Garut, Asep Rahmat, membuka acara, Senin (2/10/2023)."))
        [(s.label, s.text_of(doc.text)) for s in doc.spans]
        # [('ROLE', 'Bupati Garut'), ('PER', 'Asep Rahmat'), ('DATE', 'Senin (2/10/2023)')]
    """

    def __init__(self, *, lexicon: Lexicon | None = None, schema: Schema | None = None):
        self.lexicon = lexicon or load_lexicon()
        self.schema = schema or load_schema()
        missing = [x for x in LABELS if x not in self.schema.span_labels]
        missing += [t for t in (*TYPE_KEYWORD_TYPES, OTHER_TYPE) if t not in self.schema.article_types]
        if missing:
            raise ValueError(
                f"{self.schema.path}: the label schema lacks {missing}, which the baseline writes "
                "(use the schema in data/labels.yaml)"
            )
        self._date = _date_regex(self.lexicon)
        self._event = _event_regex(self.lexicon)
        self._law = _law_regex(self.lexicon)

    # --- candidates

    def _regex_candidates(self, text: str) -> list[Candidate]:
        out = []
        for rx, label, rule in (
            (self._date, "DATE", "date"),
            (self._event, "EVENT", "event"),
            (self._law, "LAW", "law"),
            (_OUTLET, "ORG", "news site"),
        ):
            for m in rx.finditer(text):
                start, end = m.start(), m.end()
                while end > start and text[end - 1] in " \t\n.,":
                    end -= 1
                if end > start:
                    out.append(Candidate(start, end, label, RANK_PATTERN, rule))
        return out

    def _dateline_candidates(self, scan: _Scan) -> list[Candidate]:
        """ "GARUT –", "Garut, Contoh.id –", "contoh.co.id, Garut -" at the start of a line."""
        out = []
        pos = 0
        for line in scan.text.splitlines(keepends=True):
            m = _DATELINE.match(line)
            if m:
                parts = [(pos + m.start(g), pos + m.end(g)) for g in ("a", "b") if m.group(g)]
                kinds = [self._dateline_part(scan.text[a:b]) for a, b in parts]
                if all(kinds):
                    places = [p for p, k in zip(parts, kinds, strict=True) if k == "name"]
                    for (a, b), kind in zip(parts, kinds, strict=True):
                        # "City, Outlet –": of two plain names the first is the place.
                        label = (
                            "ORG" if kind == "site" or (len(places) == 2 and (a, b) == places[1]) else "LOC"
                        )
                        out.append(Candidate(a, b, label, RANK_CONTEXT, "dateline"))
            pos += len(line)
        return out

    def _dateline_part(self, part: str) -> str | None:
        if _OUTLET.fullmatch(part):
            return "site"
        words = part.split()
        if not 1 <= len(words) <= 3 or not all(
            w[:1].isupper() and w.replace("-", "").isalpha() for w in words
        ):
            return None
        lex = self.lexicon
        if any(
            lex.has(s, words[0])
            for s in ("function_words", "not_names", "head_first_words", "days", "months")
        ):
            return None
        return "name"

    def _token_candidates(self, scan: _Scan) -> list[Candidate]:
        lex = self.lexicon
        out: list[Candidate] = []

        def add(i: int, j: int, label: str, rank: int, rule: str) -> None:
            out.append(Candidate(scan.words[i].start, scan.words[j - 1].end, label, rank, rule))

        for i in range(scan.n):
            low = scan.low[i]
            # ROLE, and the person named right after it
            role_end = scan.role(i)
            if role_end is not None:
                add(i, role_end, "ROLE", RANK_CONTEXT, "office")
                person = scan.person_after(role_end)
                if person is not None:
                    add(*person, "PER", RANK_CONTEXT, "name after office")
            # PER after a reporting verb ("kata Sutrisno") or a title/rank ("AKBP Nur Hadi")
            if (
                low in lex.words["speech_verbs"]
                and (scan.w[i].islower() or low == "menurut")
                and scan.follows(i + 1)
            ):
                start = scan.titles(i + 1)
                end = scan.name(start)
                if end is not None:
                    add(start, end, "PER", RANK_CONTEXT, "name after speech verb")
            if scan.is_("honorifics", i) or scan.is_("ranks", i):
                if i == 0 or not (
                    scan.is_("honorifics", i - 1) or scan.is_("ranks", i - 1) or scan.w[i - 1] == "."
                ):
                    start = scan.titles(i)
                    end = scan.name(start) if start > i else None
                    if end is not None:
                        add(start, end, "PER", RANK_CONTEXT, "name after title")
            # PER before "selaku"/"sebagai" + office, or a two-word name before a reporting verb
            # ("Sri Handayani mengatakan"): one capitalised word there is too often not a name.
            if low in ("selaku", "sebagai") and scan.follows(i + 1) and scan.role(i + 1) is not None:
                start = scan.name_before(i)
                if start is not None:
                    add(start, i, "PER", RANK_CONTEXT, "name before selaku")
            if low in lex.words["reporting_verbs"] and scan.w[i].islower():
                start = scan.name_before(i)
                if (
                    start is not None
                    and sum(scan.w[k].isalpha() and len(scan.w[k]) > 1 for k in range(start, i)) >= 2
                ):
                    add(start, i, "PER", RANK_CONTEXT, "name before reporting verb")
            # ORG
            body_end = scan.body(i, strict=scan.headline[i])
            if body_end is not None:
                add(i, body_end, "ORG", RANK_ORG, "organisation")
            # LOC: "Kabupaten X", venues, regions alone
            unit = scan.place_unit(i)
            if unit is not None and scan.follows(unit):
                end = scan.region(unit) or scan.proper_chain(unit)
                if end is not None:
                    add(i, end, "LOC", RANK_PLACE, "place unit")
            venue = self._venue(scan, i)
            if venue is not None:
                end, label = venue
                add(i, end, label, RANK_PLACE, "venue")
            region = scan.region(i, alone=True)
            if region is not None and (i == 0 or not scan.glued[i] or scan.w[i - 1] in "(\"“'"):
                add(i, region, "LOC", RANK_GAZETTEER, "region")
        return out

    def _venue(self, scan: _Scan, i: int) -> tuple[int, str] | None:
        """ "Aula Kantor Bupati Garut", "Hotel Sari Indah", "Jalan Ahmad Yani", "Gedung Moh. Hatta"."""
        if not scan.cap(i):
            return None
        head = self.lexicon.ps("venue_heads").match(scan, i)
        if head is None:
            return None
        if head < scan.n and scan.w[head] == "." and scan.glued[head]:  # "Jl."
            head += 1
        k = head
        while scan.follows(k) or (k < scan.n and scan.glued[k] and scan.w[k] == "."):
            w = scan.w[k]
            if w == "." and k > head and scan.cap(k - 1) and scan.follows(k + 1) and scan.cap(k + 1):
                k += 1  # "Moh. Hatta"
                continue
            if w in ("by", "de", "van") and scan.follows(k + 1) and scan.cap(k + 1):
                k += 1
                continue
            if k > head + 1 and self.lexicon.ps("venue_heads").match(scan, k) is not None:
                break  # "Rumah Dinas Bupati Jalan Merdeka": a second venue begins
            step = scan.paren_abbr(k)
            if step is None and (
                scan.cap(k) and w.isalpha() and not scan.is_("function_words", k) or w.isdigit()
            ):
                step = k + 1
            if step is None:
                break
            k = step
        if k == head:
            return None
        # "Pendopo Sasana Garut": a region at the very end, after a plain name, is a separate place.
        for start in range(head + 1, k):
            if (
                scan.region(start) == k
                and not scan.is_("place_units", start - 1)
                and (scan.name_word(start - 1, first=False) and not scan.is_("head_first_words", start - 1))
            ):
                k = start
                break
        label = "LOC"
        if scan.low[i] == "kantor" and not (
            i > 0 and (scan.is_("locative_words", i - 1) or scan.is_("venue_heads", i - 1))
        ):
            label = "ORG"
        return k, label

    # --- public API

    def spans(self, text: str) -> list[Span]:
        """Flat, sorted spans for one text."""
        scan = _Scan(text, self.lexicon)
        candidates = (
            self._regex_candidates(text) + self._dateline_candidates(scan) + self._token_candidates(scan)
        )
        spans = resolve_conflicts(candidates)
        return sorted(spans + self._repeated_names(scan, spans))

    def _repeated_names(self, scan: _Scan, spans: list[Span]) -> list[Span]:
        """Later (or earlier) mentions of found names, whole or by one of their words."""
        parts: set[str] = set()
        for s in spans:
            if s.label == "PER":
                for k in range(scan.n):
                    if (
                        s.start <= scan.words[k].start < s.end
                        and scan.name_word(k, first=False)
                        and len(scan.w[k]) >= 3
                    ):
                        parts.add(scan.w[k])
        if not parts:
            return []
        covered = [False] * scan.n
        for s in spans:
            for k in range(scan.n):
                if s.start <= scan.words[k].start < s.end:
                    covered[k] = True
        found: list[Span] = []
        k = 0
        while k < scan.n:
            if covered[k] or not (scan.w[k] in parts or len(scan.w[k]) == 1):
                k += 1
                continue
            start = k
            end = None
            j = k
            while j < scan.n and not covered[j] and (j == start or scan.attached[j]):
                w = scan.w[j]
                if w in parts:
                    j += 1
                    end = j
                elif len(w) == 1 and w.isupper():  # an initial before a known part: "A. Rahman"
                    nxt = j + 2 if j + 1 < scan.n and scan.w[j + 1] == "." and scan.glued[j + 1] else j + 1
                    if nxt < scan.n and scan.w[nxt] in parts and not covered[nxt]:
                        j = nxt
                    else:
                        break
                else:
                    break
            if end is not None:
                found.append(Span(scan.words[start].start, scan.words[end - 1].end, "PER"))
                k = end
            else:
                k += 1
        return found

    def predict_doc(self, doc: Doc) -> Doc:
        """A new Doc with the baseline's spans, HOLDS relations and types; input labels are ignored.

        The input's meta is kept (less `annotated_labels`: the baseline tags every label), and
        `model`/`version` are added.
        """
        spans = self.spans(doc.text)
        types, scores = classify_types(doc.text, lexicon=self.lexicon)
        order = list(self.schema.article_types)
        meta = {k: v for k, v in doc.meta.items() if k != "annotated_labels"}
        meta.update({"model": MODEL_NAME, "version": __version__})
        out = Doc(
            id=doc.id,
            text=doc.text,
            spans=spans,
            types=sorted(types, key=order.index),
            meta=meta,
            type_scores={t: scores[t] for t in order if t in scores},
        )
        out.relations = link_holds(out)
        return out

    def predict_docs(self, docs: Sequence[Doc], *, progress: bool = True) -> list[Doc]:
        """`predict_doc` for each document, with a progress bar on a terminal."""
        return [
            self.predict_doc(d)
            for d in tqdm(docs, desc="baseline", unit="doc", disable=None if progress else True)
        ]


# ---------------------------------------------------------------------------------------------
# Inputs


def _print_problem(problem: Problem) -> None:
    print(problem, file=sys.stderr)


def read_inputs(
    path: str | Path, *, schema: Schema | None = None, report: Callable[[Problem], None] | None = None
) -> list[Doc]:
    """Read articles from a netra JSONL file, one .txt file, or a folder of .txt files.

    The reading is `netra.inputs.input_records` with `strict=True`: JSONL goes through
    `netra.validate.iter_records`, so its documents are fully validated. Bad records are reported
    through `report` (default: printed to stderr as `FILE[:LINE]: id=ID: what (fix)`) and skipped;
    warnings are reported too. The rest are returned. A .txt file is one article, its id the file
    name without suffix; a folder's .txt files are read in name order.

    Raises:
        InputError: the path does not exist, is of an unknown kind, or is a folder without .txt files.

    Example::

        docs = read_inputs("articles/")   # articles/a.txt, articles/b.txt -> ids "a", "b"
    """
    report = report or _print_problem
    docs = []
    for rec in input_records(path, strict=True, schema=schema):
        for problem in rec.problems:
            report(problem)
        if rec.doc is not None:
            docs.append(rec.doc)
    return docs


# ---------------------------------------------------------------------------------------------
# The command


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", required=True, help="netra JSONL, a .txt article, or a folder of .txt articles")
    p.add_argument("--output", required=True, help="predictions as netra JSONL (written atomically)")
    p.add_argument("--labels", help="label schema (default: data/labels.yaml)")


def run(args: argparse.Namespace) -> int:
    """`netra baseline --input IN --output OUT`: exit 0, or 1 when inputs were skipped or unreadable."""
    schema = load_schema(args.labels)
    inp, out = Path(args.input), Path(args.output)
    if out.exists() and inp.exists() and out.resolve() == inp.resolve():
        print(f"{out}: the output would overwrite the input; choose another --output", file=sys.stderr)
        return 1
    errors: list[Problem] = []

    def report(problem: Problem) -> None:
        print(problem, file=sys.stderr)
        if problem.severity == "error":
            errors.append(problem)

    try:
        docs = read_inputs(inp, schema=schema, report=report)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 1
    preds = BaselineTagger(schema=schema).predict_docs(docs)
    n = write_docs(out, preds)
    n_spans = sum(len(d.spans) for d in preds)
    n_rel = sum(len(d.relations) for d in preds)
    print(f"baseline: {n} document(s), {n_spans} span(s), {n_rel} HOLDS relation(s) -> {out}")
    if errors:
        print(f"{len(errors)} input problem(s) above; those records were skipped", file=sys.stderr)
        return 1
    return 0
