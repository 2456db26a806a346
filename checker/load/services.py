"""The service lexicon (rules/services.yaml): service and body-part names found in request lines."""

from __future__ import annotations

import re
from dataclasses import field
from pathlib import Path

from checker.base.errors import InputError
from checker.base.fields import check_keys, require_list, require_mapping, require_text
from checker.base.patterns import LazyPattern, compile_pattern, words_end
from checker.base.records import dataclass
from checker.base.yamlio import load_yaml

SERVICES_SCHEMA = "mtus-services/1"
# What a surgery's own kind settles for the items that serve it (rules/services.yaml, `traits`): almost always needing
# an assistant, significant expected blood loss, implanted material, a high risk of a venous clot, a low cardiac risk.
SURGERY_TRAITS = ("customarily_assisted", "significant_blood_loss", "implants_material", "high_vte_risk", "low_cardiac_risk")
_GUIDANCE = compile_pattern(r"[\s-]*guid(?:ed|ance)\b", re.IGNORECASE)
_SPACES = LazyPattern(r"\s+")


@dataclass(frozen=True)
class Service:
    """A service the rules know: its key, category, names, and the facts its name settles."""

    key: str
    category: str
    names: tuple[str, ...]
    implies: dict = field(default_factory=dict)  # facts the service's name settles (a CBC is lab_test: cbc)
    traits: tuple[str, ...] = ()  # what a surgery settles for the items that serve it (SURGERY_TRAITS)


@dataclass(frozen=True)
class Mention:
    """A service or body part named in a text, and where."""

    key: str
    start: int
    end: int


@dataclass
class ServiceLexicon:
    """The services and body parts by key, with the finders of their names."""

    services: dict[str, Service]
    body_parts: dict[str, tuple[str, ...]]
    path: str
    _service_names: NameFinder | None = field(default=None, repr=False)
    _body_names: NameFinder | None = field(default=None, repr=False)
    _service_by_name: dict[str, str] = field(default_factory=dict, repr=False)
    _body_by_name: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for service in self.services.values():
            for name in service.names:
                self._service_by_name.setdefault(name.lower(), service.key)
        for key, names in self.body_parts.items():
            for name in names:
                self._body_by_name.setdefault(name.lower(), key)
        self._service_names = NameFinder(self._service_by_name)
        self._body_names = NameFinder(self._body_by_name)

    def find_service(self, text: str) -> Mention | None:
        """The service named earliest in the text; at one position the longest name wins. A name
        that only says how a procedure is guided ("ultrasound-guided injection", "CT guided",
        "under CT guidance") is not the service requested: the procedure it guides is."""
        found = self._service_names.mentions(text) if self._service_names else []
        requested = [m for m in found if not _GUIDANCE.match(text, m.end)]
        return requested[0] if requested else None

    def service_mentions(self, text: str) -> list[Mention]:
        """Every service named in the text, where, in order."""
        return self._service_names.mentions(text) if self._service_names else []

    def services_named(self, text: str) -> tuple[str, ...]:
        """Every service the text names, in order of first mention, without repeats."""
        return _keys_named(self._service_names, text)

    def find_body_parts(self, text: str) -> tuple[str, ...]:
        """Every body part named in the text, in order of first mention, without repeats."""
        return _keys_named(self._body_names, text)

    def category(self, service: str) -> str:
        return self.services[service].category if service in self.services else ""

    def traits(self, service: str) -> tuple[str, ...]:
        return self.services[service].traits if service in self.services else ()


class NameFinder:
    """The names of a lexicon as they occur in a text: what the regex `alternation` finds (names
    longest first, whitespace between words, no letter or digit just before or after, any case),
    without compiling it. Compiling that regex of some 900 names cost 20 ms of every start-up, and
    trying every name at every place in a line cost 40 us a search. Here, in a text of ASCII only,
    each place tries only the names whose first word the text has there; any other text goes to the
    regex, compiled then (the same mentions: tests/test_speed.py)."""

    def __init__(self, by_name: dict[str, str]) -> None:
        self.by_name = by_name
        self.regex = alternation(by_name)
        self.ascii_names = all(name.isascii() for name in by_name)  # else the regex's case folding may pair ASCII with others
        self.by_first_word: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for rank, name in enumerate(_longest_first(by_name)):
            words = tuple(name.split())
            if words:
                self.by_first_word.setdefault(words[0], []).append((rank, words))
        self.first_letters = frozenset(word[0] for word in self.by_first_word)  # no name starts at any other
        # a first word's letters and digits up to its first other character ("h" of "h-wave"): a name starts
        # only where a run of letters and digits is one of these (the first words all start with one)
        self.leading_runs = frozenset(_LEADING.match(word).group() for word in self.by_first_word)  # type: ignore[union-attr]
        self.by_runs = "" not in self.leading_runs

    def mentions(self, text: str) -> list[Mention]:
        if not self.by_name:
            return []
        if not (text.isascii() and self.ascii_names):
            return [self._mention(text, m.start(), m.end()) for m in self.regex.finditer(text)]
        lowered = text.lower()
        if not self.by_runs:
            return self._mentions_by_letters(text, lowered)
        found = []
        position = 0  # a name found ends here: the next starts no earlier
        leading_runs = self.leading_runs
        for run in _RUN.finditer(lowered):  # each starts after no letter or digit; most are no name's start ("mg", "#90")
            at = run.start()
            if at >= position and run.group() in leading_runs:
                end = self._match_at(lowered, at)
                if end >= 0:
                    found.append(self._mention(text, at, end))
                    position = end
        return found

    def _mentions_by_letters(self, text: str, lowered: str) -> list[Mention]:
        """mentions tried at every first word's letter after no letter or digit (a name starting with
        another character)."""
        found = []
        position = 0
        first_letters = self.first_letters
        while position < len(lowered):
            # a name starts only with a first word's letter, after no letter or digit (ASCII text: isalnum is _ALNUM)
            if lowered[position] in first_letters and (position == 0 or not lowered[position - 1].isalnum()):
                end = self._match_at(lowered, position)
                if end >= 0:
                    found.append(self._mention(text, position, end))
                    position = end
                    continue
            position += 1
        return found

    def _match_at(self, text: str, start: int) -> int:
        """The end of the name (earliest in the regex's order) that matches at `start`, or -1."""
        token_end = _TOKEN.match(text, start).end()  # type: ignore[union-attr] # \S* matches everywhere
        best_rank, best_end = len(self.by_name), -1
        # a first word ends where the token ends or before a character that is no ASCII letter or digit
        cuts = [m.start() for m in _NOT_ALNUM.finditer(text, start + 1, token_end)] if not text[start:token_end].isalnum() else []
        cuts.append(token_end)
        for cut in cuts:
            for rank, words in self.by_first_word.get(text[start:cut], ()):
                if rank < best_rank:
                    end = _words_end(text, cut, words[1:])
                    if end >= 0:
                        best_rank, best_end = rank, end
        return best_end

    def _mention(self, text: str, start: int, end: int) -> Mention:
        return Mention(self.by_name[_SPACES.sub(" ", text[start:end].lower())], start, end)


_RUN = LazyPattern(r"[a-z0-9]+")  # a run of letters and digits of lower-cased ASCII text, as long as it goes
_LEADING = LazyPattern(r"[a-z0-9]*")
_TOKEN = LazyPattern(r"\S*")  # up to the next whitespace (str.isspace's, as \s of a str pattern)
_NOT_ALNUM = LazyPattern(r"[^A-Za-z0-9]")


def _keys_named(finder: NameFinder | None, text: str) -> tuple[str, ...]:
    """The keys of the names a finder finds in the text, in order of first mention, without repeats."""
    return tuple(dict.fromkeys(m.key for m in finder.mentions(text))) if finder else ()


def _ALNUM(char: str) -> bool:  # noqa: N802 - the regex's [A-Za-z0-9], for ASCII text
    return char.isascii() and char.isalnum()


def _words_end(text: str, position: int, words: tuple[str, ...]) -> int:
    """Where the name's remaining words end (words_end), when no letter or digit follows the last; -1
    otherwise."""
    position = words_end(text, position, words)
    if 0 <= position < len(text) and _ALNUM(text[position]):
        return -1
    return position


def _longest_first(by_name: dict[str, str]) -> list[str]:
    return sorted(by_name, key=len, reverse=True)  # the regex engine tries alternatives in order


def alternation(by_name: dict[str, str]) -> LazyPattern | None:
    """One regex of every name, longest first (compiled when first used)."""
    if not by_name:
        return None
    body = "|".join(r"\s+".join(re.escape(word) for word in name.split()) for name in _longest_first(by_name))
    return LazyPattern(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])", re.I)


def load_services(path: Path) -> ServiceLexicon:
    p = str(path)
    if not path.is_file():
        return ServiceLexicon({}, {}, p)
    data = require_mapping(load_yaml(path, "service lexicon"), p, "")
    check_keys(data, ("schema", "services", "body_parts"), p, "", required=("services",))
    services = {}
    for key, spec in require_mapping(data["services"], p, "services").items():
        where = f"services.{key}"
        spec = require_mapping(spec, p, where)
        check_keys(spec, ("category", "names", "implies", "traits"), p, where, required=("category", "names"))
        names = _names(spec["names"], p, f"{where}.names", allow_empty=True)  # [] : given explicitly only
        implies = dict(require_mapping(spec.get("implies") or {}, p, f"{where}.implies"))
        traits = _traits(spec.get("traits") or [], p, f"{where}.traits")
        services[str(key)] = Service(str(key), require_text(spec["category"], p, f"{where}.category"), names, implies, traits)
    body_parts = {}
    for key, spec in require_mapping(data.get("body_parts", {}), p, "body_parts").items():
        where = f"body_parts.{key}"
        spec = require_mapping(spec, p, where)
        check_keys(spec, ("names",), p, where, required=("names",))
        body_parts[str(key)] = _names(spec["names"], p, f"{where}.names")
    return ServiceLexicon(services, body_parts, p)


def _traits(raw: object, path: str, where: str) -> tuple[str, ...]:
    traits = tuple(str(t) for t in require_list(raw, path, where))
    unknown = [t for t in traits if t not in SURGERY_TRAITS]
    if unknown:
        raise InputError(path, where, f"unknown trait {unknown[0]!r}", f"use one of {', '.join(SURGERY_TRAITS)}")
    return traits


def _names(raw: object, path: str, where: str, allow_empty: bool = False) -> tuple[str, ...]:
    names = tuple(str(n).strip().lower() for n in require_list(raw, path, where))
    if (not names and not allow_empty) or any(not n for n in names):
        raise InputError(path, where, "empty name list or blank name", "list the names requests use, in lower case")
    return names
