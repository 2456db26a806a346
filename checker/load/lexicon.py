"""The drug lexicon (rules/drugs.yaml): brand names, products and misspellings to generic names,
classes, the ingredients a strength names, and the morphine milligram equivalent (MME) conversion."""

from __future__ import annotations

import collections
import functools
import itertools
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import field
from pathlib import Path
from typing import Any

from checker.base.errors import InputError
from checker.base.fields import check_keys, require_list, require_mapping, require_text
from checker.base.memo import remembered
from checker.base.patterns import LazyPattern, compile_pattern
from checker.base.records import dataclass
from checker.base.yamlio import load_yaml

# A fuzzy match must be this close (difflib ratio) and clearly ahead of the runner-up.
FUZZY_CUTOFF = 0.85
FUZZY_MARGIN = 0.05
# A different drug whose name starts with at least this many of the written word's letters, more than
# the best match does, makes the word ambiguous ("Trazadol": tramadol, or trazodone?).
PREFIX_RIVAL_MIN = 4
# A known name inside a written word with this many letters around it is another word built on that
# name ("des" + "venlafaxine"), not a misspelling of it.
AFFIX_MIN = 2
_STRENGTH_TOKEN = compile_pattern(r"\d+(?:\.\d+)?%")
_AFTER_PERCENT = compile_pattern(r"(?<=%)[/\-]")  # "20%/Lidocaine", "20%-lidocaine": the mark after a percentage
# Release words all read as "er", so "Ambien CR", "Effexor XR" and "hydrocodone extended-release"
# meet the names the lexicon spells "ER".
_RELEASE_WORDS = compile_pattern(
    r"\b(?:xr|cr|sr|xl|er|(?:extended|controlled|sustained)[- ]release|long[- ]acting)\b", re.I
)
_LONG_WORD = LazyPattern(r"[a-z]{4,}")
_LETTERS = LazyPattern(r"[a-z]+")
_TOKEN = LazyPattern(r"[A-Za-z0-9#][A-Za-z0-9#/\-%]*")
_SPACES = LazyPattern(r"\s+")


def is_strength_token(word: str) -> bool:
    """Whether a written word is a bare strength ("5%"), which closes a name: _STRENGTH_TOKEN asked only
    of a word ending with '%', as every match does (most words of a request line hold none; the plain
    answer: tests/test_speed.py)."""
    return word[-1:] == "%" and _STRENGTH_TOKEN.fullmatch(word) is not None


def plain_is_strength_token(word: str) -> bool:
    """is_strength_token by the pattern alone."""
    return _STRENGTH_TOKEN.fullmatch(word) is not None


_TOP_KEYS = ("schema", "mme_tables", "drugs")
_TABLE_KEYS = ("name", "dated", "source")
_TABLE_OPTIONAL = ("leaves_out",)
_DRUG_KEYS = (
    "classes", "brands", "aliases", "route", "release", "ingredients", "dose_of", "judged_as", "products", "mme", "mme_none",
)
_PRODUCT_KEYS = ("names", "form", "release", "strength")
_MME_KEYS = ("forms", "factor", "per", "table", "tiers")
ROUTES = ("oral", "topical", "injection", "transdermal")
# Dosage forms a product or a written prescription can name; each is dosed in its own unit.
FORMS = (
    "tablet", "capsule", "liquid", "patch", "film", "buccal tablet", "sublingual tablet", "lozenge", "spray",
    "injection", "topical", "suppository",
)
RELEASES = ("extended",)
MME_UNITS = ("mg", "mcg", "mcg/h")  # what a conversion factor multiplies: mg or mcg a day, or a patch's mcg/h


@dataclass(frozen=True)
class MmeTable:
    """A named, dated conversion table the factors come from."""

    key: str
    name: str
    dated: str
    source: str
    leaves_out: tuple[str, ...] = ()  # forms the table does not convert (injections, suppositories)


@dataclass(frozen=True)
class MmeFactor:
    """MME per unit of daily dose (`per`) for the forms listed (none listed: every form of the drug);
    dose-dependent factors as tiers: (upper bound in mg/day, or None for 'above', factor)."""

    forms: tuple[str, ...]
    per: str
    table: str
    factor: float | None = None
    tiers: tuple[tuple[float | None, float, float], ...] = ()  # (lower bound, upper bound or None, factor)

    def at(self, daily_amount: float) -> tuple[float, tuple[float, float | None] | None] | None:
        """The factor for this daily amount and the tier it falls in (None: no tiers), or None when
        the amount is beyond every tier."""
        if not self.tiers:
            return (self.factor, None) if self.factor is not None else None
        for lower, upper, factor in self.tiers:
            if upper is None or daily_amount <= upper:
                return factor, (lower, upper)
        return None


@dataclass(frozen=True)
class Product:
    """A product name with what it implies: its form, extended release, a strength ('Tylenol #3')."""

    names: tuple[str, ...]
    form: str = ""
    release: str = ""
    strength: str = ""


@dataclass(frozen=True)
class Drug:
    """A lexicon entry: the generic name, classes, names, combination ingredients and MME factors."""

    generic: str
    classes: tuple[str, ...]
    names: tuple[str, ...]  # brands, aliases and product names
    route: str = ""  # set for products made for one route only (Lidoderm: topical)
    release: str = ""  # "extended" for an entry that is an extended-release product only (hydrocodone ER)
    ingredients: tuple[str, ...] = ()  # a combination's ingredients in the order its label gives strengths
    dose_of: str = ""  # the ingredient the daily dose and the MME count ("hydrocodone" in Norco)
    mme: tuple[MmeFactor, ...] = ()
    mme_none: str = ""  # why the conversion table gives this opioid no factor
    products: tuple[Product, ...] = ()
    # A product the guidelines judge as the drugs it holds, each under its own topic (an NSAID with a
    # gastric protector, a compounding kit: its active drug and the compounded preparation); empty for
    # a drug judged as itself.
    judged_as: tuple[str, ...] = ()

    def mme_factors(self, form: str) -> tuple[MmeFactor, ...]:
        """The factors that may apply to a form: the one naming it, else those naming no form; with
        no form known, every factor (the caller must then choose by the strength's unit)."""
        if not form:
            return self.mme
        named = tuple(f for f in self.mme if form in f.forms)
        return named or tuple(f for f in self.mme if not f.forms)


@dataclass(frozen=True)
class Resolution:
    """A drug name found in a text: the entry, the name as written, and how it matched."""

    drug: Drug
    matched: str  # the name as written
    how: str  # "exact" or "fuzzy"
    start: int = 0  # where the name starts in the text it was found in
    name: str = ""  # the lexicon name it matched ("Percocet" for a written "Percoset")
    product: Product | None = None


@dataclass
class Lexicon:
    """The drugs by generic name, with the MME tables and the indexes names are looked up in."""

    drugs: dict[str, Drug]
    path: str
    tables: dict[str, MmeTable] = field(default_factory=dict)
    _index: dict[str, str] = field(default_factory=dict)
    _spelled: dict[str, str] = field(default_factory=dict, repr=False)  # key -> the name as the lexicon spells it
    _fuzzy: dict[str, str | None] = field(default_factory=dict, repr=False)  # key -> lexicon key, memoised
    _words: frozenset[str] = field(default_factory=frozenset, repr=False)  # one-word names, for the affix rule
    _products: dict[str, Product] = field(default_factory=dict, repr=False)  # key -> the product it names

    def __post_init__(self) -> None:
        for drug in self.drugs.values():
            for name in (drug.generic, *drug.names):
                key = _key(name)
                self._index.setdefault(key, drug.generic)
                self._spelled.setdefault(key, name)
            for product in drug.products:
                self._products.update((_key(n), product) for n in product.names)
        self._words = frozenset(k for k in self._index if _LONG_WORD.fullmatch(k))

    def resolve(self, name: str) -> Resolution | None:
        """Exact name (generic, brand, product, alias), else a close and unambiguous fuzzy match, else None."""
        key = _key(name)
        if key in self._index:
            return self._resolution(key, name, "exact")
        if key not in self._fuzzy:  # the same unknown words recur in every request line of a corpus
            self._fuzzy[key] = self._closest_unambiguous(key)
        known = self._fuzzy[key]
        return self._resolution(known, name, "fuzzy") if known else None

    def _resolution(self, key: str, written: str, how: str, start: int = 0) -> Resolution:
        return Resolution(self.drugs[self._index[key]], written, how, start, self._spelled[key], self._products.get(key))

    def _closest_unambiguous(self, key: str, prefilter: bool = True) -> str | None:
        """The one lexicon name the written key is a misspelling of, or None when none is close, two
        drugs are about as close, or the key crosses an affix that makes it another word.
        `prefilter=False` scores every name (the prefilter only saves time; a test checks it)."""
        released = bool(_RELEASE_WORDS.search(key))
        if prefilter:
            candidates: Iterable[str] = _close_candidates_by_letters(key, _names_by_letters(tuple(self._index), released))
        else:
            candidates = [k for k in self._index if _released(k) == released]  # never across -ER
        import difflib  # here: only a misspelt drug name needs it, and a check's start-up does not pay for it

        scored = sorted(((difflib.SequenceMatcher(None, key, known).ratio(), known) for known in candidates), reverse=True)
        if not scored or scored[0][0] < FUZZY_CUTOFF:
            return None
        best_score, best = scored[0]
        rivals = [k for s, k in scored[1:] if best_score - s < FUZZY_MARGIN and self._index[k] != self._index[best]]
        if rivals or self._built_on_a_name(key, best) or self._prefix_rival(key, best):
            return None
        return best

    def _built_on_a_name(self, key: str, best: str) -> bool:
        """'desvenlafaxine' is 'venlafaxine' with 'des' before it, 'hydroxycodone' holds 'oxycodone': a
        known name inside a written word, with letters around it that the best match does not have
        around it, makes the word another drug's name, whatever it is closest to."""
        best_words = _LETTERS.findall(best)
        for word in _LETTERS.findall(key):
            if word in self._words:
                continue
            for name in (n for n in self._words if len(word) - len(n) >= AFFIX_MIN and n in word):
                before, after = _affixes(word, name)
                around = [_affixes(w, name) for w in best_words if name in w]
                if not any(abs(before - b) < AFFIX_MIN and abs(after - a) < AFFIX_MIN for b, a in around):
                    return True
        return False

    def _prefix_rival(self, key: str, best: str) -> bool:
        """A different drug's name that shares a longer start with the key than the best match does."""
        own = _common_prefix(key, best)
        return any(
            self._index[name] != self._index[best] and (shared := _common_prefix(key, name)) > own and shared >= PREFIX_RIVAL_MIN
            for name in self._index
        )

    def find_in_text(self, text: str) -> Resolution | None:
        """The lexicon name that starts a request line ("Norco 10/325 mg #90"), longest first; the
        extended-release entry when the line says ER ("Hydrocodone 20 mg ER")."""
        found = self._first_name(text)
        if found is not None and _RELEASE_WORDS.search(text) and not _RELEASE_WORDS.search(found.name):
            released = _key(f"{found.name} ER")
            if released in self._index:
                return self._resolution(released, found.matched, found.how, found.start)
        return found

    def _first_name(self, text: str) -> Resolution | None:
        # digits and '#' too ("Tylenol #3"), but not a bare strength: "Lidocaine 5% patch" names "lidocaine patch"
        words = [w for w in _TOKEN.findall(text) if not is_strength_token(w)]
        for size in (4, 3, 2, 1):
            for start in range(0, min(len(words), 3)):
                phrase = " ".join(words[start : start + size])
                if len(words[start : start + size]) == size:
                    key = _key(phrase)
                    if key in self._index:
                        return self._resolution(key, phrase, "exact")
        for start in range(0, min(len(words), 2)):
            if len(words[start]) >= 5 and words[start][0].isalpha():
                found = self.resolve(words[start])
                if found:
                    return found
        return None

    def find_all_in_text(self, text: str) -> list[Resolution]:
        """Every lexicon name in the text (exact names only), left to right, longest first at each place.
        A strength closes a name: "Flurbiprofen 20%/Lidocaine 5%" names two drugs."""
        text, words = self._name_words(text)
        written = [w.group(0) for w in words]
        # A phrase of words holding no release word is keyed as its words in lower case, joined by
        # spaces (what _key gives it): none can be a name unless its first word starts a name.
        lowered = [word.lower() for word in written]
        plain = [_RELEASE_TOKENS.isdisjoint(word.replace("-", " ").split()) for word in lowered]
        starts = self._first_words()
        found: list[Resolution] = []
        position = 0
        while position < len(words):
            if lowered[position] not in starts and all(plain[position : position + 4]):
                position += 1  # every phrase from here is keyed as its words, and none starts a name
                continue
            for size in (4, 3, 2, 1):
                end = position + size
                if end > len(words):
                    continue
                if all(plain[position:end]):
                    if lowered[position] not in starts:
                        continue
                    key = " ".join(lowered[position:end])
                else:
                    key = _key(" ".join(written[position:end]))
                if key in self._index:
                    found.append(self._resolution(key, text[words[position].start() : words[end - 1].end()], "exact", words[position].start()))
                    position = end
                    break
            else:
                position += 1
        return found

    def plain_find_all_in_text(self, text: str) -> list[Resolution]:
        """find_all_in_text, keying every phrase of one to four words (what it finds: tests/test_speed.py)."""
        text, words = self._name_words(text)
        found: list[Resolution] = []
        position = 0
        while position < len(words):
            for size in (4, 3, 2, 1):
                span = words[position : position + size]
                if len(span) < size:
                    continue
                key = _key(" ".join(w.group(0) for w in span))
                if key in self._index:
                    found.append(self._resolution(key, text[span[0].start() : span[-1].end()], "exact", span[0].start()))
                    position += size
                    break
            else:
                position += 1
        return found

    def _name_words(self, text: str) -> tuple[str, list[re.Match[str]]]:
        """The text as names are looked for in it (unknown slash combinations split, the same length:
        positions found stay those of the text) and its words, strengths left out."""
        text = self._split_unknown_combinations(_AFTER_PERCENT.sub(" ", text))
        return text, [w for w in _TOKEN.finditer(text) if not is_strength_token(w.group(0))]

    def _first_words(self) -> frozenset[str]:
        """The first word of every name the lexicon indexes (its key), remembered per index."""
        memo = remembered(self, "_first_words_memo", (self._index,))
        if "words" not in memo:
            memo["words"] = frozenset(key.split(" ", 1)[0] for key in self._index)
        return memo["words"]

    def _split_unknown_combinations(self, text: str) -> str:
        """Drugs joined by slashes that no product of the lexicon names ("Flurbiprofen/baclofen/lidocaine"),
        each part a drug it knows: the slashes become spaces (the same length), so each drug is found.
        A text without a slash is its own answer, not tokenised (most request lines: the same text as
        plain_split_unknown_combinations, tests/test_speed.py)."""
        if "/" not in text:
            return text
        return self.plain_split_unknown_combinations(text)

    def plain_split_unknown_combinations(self, text: str) -> str:
        """_split_unknown_combinations, every token read."""
        for token in _TOKEN.finditer(text):
            written = token.group(0)
            parts = written.split("/")
            if len(parts) > 1 and _key(written) not in self._index and all(_key(part) in self._index for part in parts):
                text = text[: token.start()] + written.replace("/", " ") + text[token.end() :]
        return text

    def closest(self, name: str) -> str:
        import difflib

        close = difflib.get_close_matches(_key(name), list(self._index), n=1, cutoff=0.6)
        return self._index[close[0]] if close else ""  # the generic name: the closest key may be a misspelling

    def classes(self) -> set[str]:
        return {c for d in self.drugs.values() for c in d.classes}


def _affixes(word: str, name: str) -> tuple[int, int]:
    """How many letters come before and after `name` in `word`."""
    before = word.index(name)
    return before, len(word) - before - len(name)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _close_candidates(key: str, names: Iterable[str]) -> Iterator[str]:
    """The names whose cheap upper bounds of difflib's ratio reach the margin below the cutoff: any
    other name can be neither the match nor its rival, so its exact ratio is not needed (speed only).
    The bounds are difflib's real_quick_ratio and quick_ratio, worked out from each name's letter
    counts, remembered (the same figures: tests/test_speed.py)."""
    floor = FUZZY_CUTOFF - FUZZY_MARGIN - 0.01
    wanted = _letter_counts(key)
    for known in names:
        length = len(key) + len(known)
        if 2.0 * min(len(key), len(known)) / length >= floor and 2.0 * _shared_letters(wanted, known) / length >= floor:
            yield known


def _close_candidates_by_letters(key: str, by_letters: dict[tuple[str, int], list[str]]) -> Iterator[str]:
    """The names _close_candidates yields (in another order), counting each name's shared letters
    from an index of the names by letter and count instead of comparing the key with every name: a
    name shares n of a letter with the key when it is listed under (letter, 1) ... (letter, n)."""
    floor = FUZZY_CUTOFF - FUZZY_MARGIN - 0.01
    shared: collections.Counter[str] = collections.Counter()
    for letter, count in _letter_counts(key).items():
        for held in range(1, count + 1):
            shared.update(by_letters.get((letter, held), ()))
    for known, common in shared.items():
        length = len(key) + len(known)
        if 2.0 * min(len(key), len(known)) / length >= floor and 2.0 * common / length >= floor:
            yield known


@functools.lru_cache(maxsize=4)  # a lexicon's names, with and without a release word
def _names_by_letters(names: tuple[str, ...], released: bool) -> dict[tuple[str, int], list[str]]:
    """The names on the key's side of -ER, listed under (letter, n) for n = 1 .. how often they hold the letter."""
    index: dict[tuple[str, int], list[str]] = {}
    for name in names:
        if _released(name) == released:
            for letter, count in _letter_counts(name).items():
                for held in range(1, count + 1):
                    index.setdefault((letter, held), []).append(name)
    return index


def _shared_letters(wanted: dict[str, int], known: str) -> int:
    """How many letters two names share, each counted as often as both hold it (difflib's quick_ratio
    counts these matches)."""
    # map() over the two dicts, not a generator expression: the prefilter's cost for every misspelt word
    return sum(map(min, wanted.values(), map(_letter_counts(known).get, wanted, _NONE_HELD)))


_NONE_HELD = itertools.repeat(0)  # what _letter_counts(...).get gives for a letter the name lacks


@functools.lru_cache(maxsize=8192)  # the lexicon's names, scored against every misspelt word
def _letter_counts(name: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for letter in name:
        counts[letter] = counts.get(letter, 0) + 1
    return counts


@functools.lru_cache(maxsize=8192)
def _released(key: str) -> bool:
    """Whether a name holds a release word (a fuzzy match never crosses -ER)."""
    return bool(_RELEASE_WORDS.search(key))


def normalise(name: str) -> str:
    return _SPACES.sub(" ", name.strip().lower())


_RELEASE_TOKENS = frozenset(("xr", "cr", "sr", "xl", "er", "release", "acting"))


@functools.lru_cache(maxsize=8192)  # the same words and phrases recur in every request line
def _key(name: str) -> str:
    """A name as the lexicon indexes it: normalised, with every release word read as 'er'."""
    key = " ".join(name.lower().split())
    if _RELEASE_TOKENS.isdisjoint(key.replace("-", " ").split()):
        return key  # most names hold no release word: the substitution is the costly part
    return _RELEASE_WORDS.sub("er", key)


def load_lexicon(path: Path, base: Lexicon | None = None) -> Lexicon:
    """A drug lexicon file; `base` is the lexicon it adds to (a site's drugs.yaml), whose drugs and
    tables its entries may name."""
    where = str(path)
    data = require_mapping(load_yaml(path, "drug lexicon"), where, "")
    check_keys(data, _TOP_KEYS, where, "", required=("drugs",))
    own_tables = _tables(data.get("mme_tables") or {}, where)
    for key in own_tables.keys() & (base.tables.keys() if base else set()):
        raise InputError(where, f"mme_tables.{key}", "a conversion table the rules in use already have", "give the table a name of its own")
    tables = {**(base.tables if base else {}), **own_tables}
    drugs = {}
    for generic, spec in require_mapping(data["drugs"], where, "drugs").items():
        drugs[str(generic)] = _drug(str(generic), spec or {}, where, tables)
    _refuse_shared_names(drugs, where)
    _check_judged_as(drugs, {**(base.drugs if base else {}), **drugs}, where)
    return Lexicon(drugs=drugs, path=where, tables=tables)


def _check_judged_as(drugs: dict[str, Drug], known: dict[str, Drug], path: str) -> None:
    """A product is judged as drugs of the lexicon, each judged as itself (one level: a kit of kits
    would hide what is judged)."""
    for drug in drugs.values():
        where = f"drugs.{drug.generic}.judged_as"
        for name in drug.judged_as:
            if name == drug.generic or name not in known:
                fix = "name the generic of each drug the product holds, as listed under drugs:"
                raise InputError(path, where, f"{name!r} is not another drug of the lexicon", fix)
            if known[name].judged_as:
                raise InputError(path, where, f"{name!r} is itself judged as other drugs", "name the drugs it holds instead")


def _refuse_shared_names(drugs: dict[str, Drug], path: str) -> None:
    """A name read as two drugs would be read as whichever comes first: refused."""
    owner: dict[str, str] = {}
    for drug in drugs.values():
        for name in (drug.generic, *drug.names):
            first = owner.setdefault(_key(name), drug.generic)
            if first != drug.generic:
                raise InputError(path, f"drugs.{drug.generic}", f"the name {name!r} is also a name of {first}", "give each name to one drug only")


def _tables(raw: Any, path: str) -> dict[str, MmeTable]:
    found = {}
    for key, spec in require_mapping(raw, path, "mme_tables").items():
        where = f"mme_tables.{key}"
        spec = require_mapping(spec, path, where)
        check_keys(spec, _TABLE_KEYS + _TABLE_OPTIONAL, path, where, required=_TABLE_KEYS)
        leaves_out = tuple(_choice(f, FORMS, path, f"{where}.leaves_out") for f in require_list(spec.get("leaves_out", []), path, f"{where}.leaves_out"))
        found[str(key)] = MmeTable(str(key), *(require_text(str(spec[k]), path, f"{where}.{k}").strip() for k in _TABLE_KEYS), leaves_out)
    return found


def _drug(generic: str, spec: Any, path: str, tables: dict[str, MmeTable]) -> Drug:
    where = f"drugs.{generic}"
    spec = require_mapping(spec, path, where)
    check_keys(spec, _DRUG_KEYS, path, where, required=("classes",))
    route = _choice(spec.get("route", ""), ROUTES, path, f"{where}.route")
    classes = tuple(str(c) for c in require_list(spec["classes"], path, f"{where}.classes"))
    ingredients = tuple(str(i) for i in require_list(spec.get("ingredients", []), path, f"{where}.ingredients"))
    dose_of = str(spec.get("dose_of", ""))
    if dose_of and dose_of not in ingredients:
        raise InputError(path, f"{where}.dose_of", f"{dose_of!r} is not one of the ingredients", "name one of the ingredients: listed")
    mme = _mme(spec.get("mme"), path, f"{where}.mme", tables)
    mme_none = str(spec.get("mme_none") or "").strip()
    if "opioid" in classes and not mme and not mme_none:
        fix = "add mme: (factor, per, table) or mme_none: why the table has none"
        raise InputError(path, where, "an opioid without a conversion to morphine equivalents", fix)
    if mme and mme_none:
        raise InputError(path, f"{where}.mme_none", "both a conversion and a reason for having none", "keep mme: or mme_none:")
    products = tuple(_product(p, path, f"{where}.products[{i}]") for i, p in enumerate(require_list(spec.get("products", []), path, f"{where}.products")))
    names = tuple(str(n) for k in ("brands", "aliases") for n in require_list(spec.get(k, []), path, f"{where}.{k}"))
    judged_as = tuple(str(n) for n in require_list(spec.get("judged_as", []), path, f"{where}.judged_as"))
    if len(judged_as) == 1:
        raise InputError(path, f"{where}.judged_as", "names one drug", "list two or more drugs, or make the product a product of that drug")
    return Drug(
        generic=generic,
        classes=classes,
        names=names + tuple(n for p in products for n in p.names if n not in names),
        route=route,
        release=_choice(spec.get("release", ""), RELEASES, path, f"{where}.release"),
        ingredients=ingredients,
        dose_of=dose_of,
        mme=mme,
        mme_none=mme_none,
        products=products,
        judged_as=judged_as,
    )


def _product(raw: Any, path: str, where: str) -> Product:
    raw = require_mapping(raw, path, where)
    check_keys(raw, _PRODUCT_KEYS, path, where, required=("names",))
    return Product(
        names=tuple(str(n) for n in require_list(raw["names"], path, f"{where}.names")),
        form=_choice(raw.get("form", ""), FORMS, path, f"{where}.form"),
        release=_choice(raw.get("release", ""), RELEASES, path, f"{where}.release"),
        strength=str(raw.get("strength") or ""),
    )


def _mme(raw: Any, path: str, where: str, tables: dict[str, MmeTable]) -> tuple[MmeFactor, ...]:
    if raw is None:
        return ()
    entries = [raw] if isinstance(raw, dict) else require_list(raw, path, where, "write mme: as a mapping, or a list of them by form")
    return tuple(_factor(e, path, f"{where}[{i}]" if isinstance(raw, list) else where, tables) for i, e in enumerate(entries))


def _factor(raw: Any, path: str, where: str, tables: dict[str, MmeTable]) -> MmeFactor:
    raw = require_mapping(raw, path, where)
    check_keys(raw, _MME_KEYS, path, where, required=("per", "table"))
    per = _choice(raw["per"], MME_UNITS, path, f"{where}.per")
    if raw["table"] not in tables:
        raise InputError(path, f"{where}.table", f"unknown table {raw['table']!r}", f"name one of mme_tables: {', '.join(tables) or '(none)'}")
    forms = tuple(_choice(f, FORMS, path, f"{where}.forms") for f in require_list(raw.get("forms", []), path, f"{where}.forms"))
    if ("factor" in raw) == ("tiers" in raw):
        raise InputError(path, where, "needs one factor: or tiers:", "give a factor, or tiers by daily dose")
    if "factor" in raw:
        return MmeFactor(forms, per, str(raw["table"]), factor=_positive(raw["factor"], path, f"{where}.factor"))
    return MmeFactor(forms, per, str(raw["table"]), tiers=_tiers(raw["tiers"], path, f"{where}.tiers"))


def _tiers(raw: Any, path: str, where: str) -> tuple[tuple[float, float | None, float], ...]:
    """[{up_to_mg_per_day: 20, factor: 4}, ..., {above_mg_per_day: 60, factor: 12}]: ascending, the
    'above' tier last and starting where the one before it ends."""
    found: list[tuple[float, float | None, float]] = []
    items = require_list(raw, path, where)
    for i, tier in enumerate(items):
        tw = f"{where}[{i}]"
        tier = require_mapping(tier, path, tw)
        check_keys(tier, ("up_to_mg_per_day", "above_mg_per_day", "factor"), path, tw, required=("factor",))
        lower = found[-1][1] if found else 0.0
        if "above_mg_per_day" in tier:
            bound = _positive(tier["above_mg_per_day"], path, f"{tw}.above_mg_per_day")
            if i != len(items) - 1 or bound != lower:
                raise InputError(path, f"{tw}.above_mg_per_day", "an 'above' tier must come last and start where the tier before it ends", "reorder the tiers")
            found.append((bound, None, _positive(tier["factor"], path, f"{tw}.factor")))
            continue
        upper = _positive(tier.get("up_to_mg_per_day"), path, f"{tw}.up_to_mg_per_day")
        if upper <= lower:
            raise InputError(path, f"{tw}.up_to_mg_per_day", "tiers must rise", "list the tiers from the lowest dose up")
        found.append((lower, upper, _positive(tier["factor"], path, f"{tw}.factor")))
    return tuple(found)


def _choice(value: Any, allowed: tuple[str, ...], path: str, where: str) -> str:
    value = str(value or "")
    if value and value not in allowed:
        raise InputError(path, where, f"unknown value {value!r}", f"use one of: {', '.join(allowed)}")
    return value


def _positive(value: Any, path: str, where: str) -> float:
    if not _is_number(value) or value <= 0:
        raise InputError(path, where, "expected a number", "write it as a number above 0, without quotes")
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
