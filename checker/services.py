"""The service lexicon (rules/services.yaml): service and body-part names found in request lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from checker.errors import InputError
from checker.fields import check_keys, require_list, require_mapping, require_text
from checker.yamlio import load_yaml

SERVICES_SCHEMA = "mtus-services/1"


@dataclass(frozen=True)
class Service:
    key: str
    category: str
    names: tuple[str, ...]
    implies: dict = field(default_factory=dict)  # facts the service's name settles (a CBC is lab_test: cbc)


@dataclass(frozen=True)
class Mention:
    key: str
    start: int
    end: int


@dataclass
class ServiceLexicon:
    services: dict[str, Service]
    body_parts: dict[str, tuple[str, ...]]
    path: str
    _service_pattern: re.Pattern | None = field(default=None, repr=False)
    _body_pattern: re.Pattern | None = field(default=None, repr=False)
    _service_by_name: dict[str, str] = field(default_factory=dict, repr=False)
    _body_by_name: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for service in self.services.values():
            for name in service.names:
                self._service_by_name.setdefault(name.lower(), service.key)
        for key, names in self.body_parts.items():
            for name in names:
                self._body_by_name.setdefault(name.lower(), key)
        self._service_pattern = _alternation(self._service_by_name)
        self._body_pattern = _alternation(self._body_by_name)

    def find_service(self, text: str) -> Mention | None:
        """The service named earliest in the text; at one position the longest name wins."""
        found = _mentions(self._service_pattern, self._service_by_name, text)
        return found[0] if found else None

    def find_body_parts(self, text: str) -> tuple[str, ...]:
        """Every body part named in the text, in order of first mention, without repeats."""
        keys = [m.key for m in _mentions(self._body_pattern, self._body_by_name, text)]
        return tuple(dict.fromkeys(keys))

    def category(self, service: str) -> str:
        return self.services[service].category if service in self.services else ""


def _alternation(by_name: dict[str, str]) -> re.Pattern | None:
    if not by_name:
        return None
    names = sorted(by_name, key=len, reverse=True)  # the regex engine tries alternatives in order
    body = "|".join(r"\s+".join(re.escape(word) for word in name.split()) for name in names)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])", re.I)


def _mentions(pattern: re.Pattern | None, by_name: dict[str, str], text: str) -> list[Mention]:
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text):
        name = re.sub(r"\s+", " ", match.group(0).lower())
        found.append(Mention(by_name[name], match.start(), match.end()))
    return found


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
        check_keys(spec, ("category", "names", "implies"), p, where, required=("category", "names"))
        names = _names(spec["names"], p, f"{where}.names", allow_empty=True)  # [] : given explicitly only
        implies = dict(require_mapping(spec.get("implies") or {}, p, f"{where}.implies"))
        services[str(key)] = Service(str(key), require_text(spec["category"], p, f"{where}.category"), names, implies)
    body_parts = {}
    for key, spec in require_mapping(data.get("body_parts", {}), p, "body_parts").items():
        where = f"body_parts.{key}"
        spec = require_mapping(spec, p, where)
        check_keys(spec, ("names",), p, where, required=("names",))
        body_parts[str(key)] = _names(spec["names"], p, f"{where}.names")
    return ServiceLexicon(services, body_parts, p)


def _names(raw: object, path: str, where: str, allow_empty: bool = False) -> tuple[str, ...]:
    names = tuple(str(n).strip().lower() for n in require_list(raw, path, where))
    if (not names and not allow_empty) or any(not n for n in names):
        raise InputError(path, where, "empty name list or blank name", "list the names requests use, in lower case")
    return names
