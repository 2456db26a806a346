"""A synthetic corpus of realistic case files, generated from whatever topics the rule set holds.

Each case has 1-6 requested items of mixed topics: drugs named by generic name, brand or listed
misspelling (rules/drugs.yaml, per topic's applies_to), services by the names a topic lists, plus a
few items no topic covers. Facts are the ones the topic's criteria read (rules/facts.yaml), with
values drawn from their declared type and range, some left undocumented, and some chosen so the
criteria are met, so both decisions occur. Every case carries an expected: block (a known decision,
upheld about four times in five as at IMR) so `mtus regress` runs it.

Used by benchmarks/run.py and by tests/test_differential.py. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.evaluate.evaluate import select_topic
from checker.load.conditions import evaluate, tests
from checker.load.ruleset import Edition, RuleSet, Topic

FREQUENCIES = ("BID", "TID", "QID", "daily", "Q6H", "Q8H", "Q4-6H PRN", "at bedtime")
STRENGTHS = ("2", "5", "7.5", "10", "10/325", "20", "30", "50", "350", "500", "750")
QUANTITIES = (15, 20, 30, 60, 90, 120, 180)
# Requests that no topic may cover (checked against the rule set before use).
UNCOVERED_SERVICES = ("Transportation to medical appointments", "Gym membership", "Hot and cold therapy unit purchase")
LAST_DAY = dt.date(2024, 12, 31)


@dataclass
class Generatable:
    """How a topic's requests can be written: drug names, or service names."""
    topic: Topic
    drug_names: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)


@dataclass
class CorpusPlan:
    generatable: list[Generatable]
    skipped: dict[str, str]  # topic -> why no request can be written for it
    uncovered_drugs: list[str]
    uncovered_services: list[str]


def plan(ruleset: RuleSet) -> CorpusPlan:
    """Which topics requests can be written for, and how (works for any topics the rule set gains)."""
    generatable, skipped = [], {}
    for topic in ruleset.topics:
        entry = Generatable(topic)
        for generic in sorted(ruleset.lexicon.drugs):
            names = _drug_names(ruleset, generic)
            if _routes_to(ruleset, topic, drug=generic):
                entry.drug_names += names
        entry.services = [s for s in topic.services if _routes_to(ruleset, topic, service=s)]
        if not entry.drug_names and not entry.services:
            skipped[topic.topic] = "no drug in drugs.yaml and no service name routes a request to it"
        elif not any(e.criteria for e in topic.editions):
            skipped[topic.topic] = "no edition with criteria"
        else:
            generatable.append(entry)
    uncovered_drugs = [n for g in sorted(ruleset.lexicon.drugs) if _routes_to(ruleset, None, drug=g) for n in _drug_names(ruleset, g)]
    uncovered_services = [s for s in UNCOVERED_SERVICES if _routes_to(ruleset, None, service=s)]
    return CorpusPlan(generatable, skipped, uncovered_drugs, uncovered_services)


def _drug_names(ruleset: RuleSet, generic: str) -> list[str]:
    drug = ruleset.lexicon.drugs[generic]
    # Names with '#' or digits ("Tylenol #3") would need the quantity parser's special cases.
    return [n for n in (generic, *drug.names) if not any(ch.isdigit() or ch == "#" for ch in n)]


def _routes_to(ruleset: RuleSet, topic: Topic | None, drug: str = "", service: str = "") -> bool:
    """Whether a request for the drug (generic name) or the service (a service key, or a request line
    naming one) goes to the topic, or to no topic when topic is None."""
    from checker.load.case import Request
    from checker.load.request_line import parse_request_line

    parsed = parse_request_line(service, ruleset.lexicon, ruleset.services) if service else None
    key = service if service in ruleset.services.services else (parsed.service if parsed else "")
    request = Request("x", service or drug, drug, drug, key, "", None, "", None, False, {}, 0, body_parts=parsed.body_parts if parsed else ())
    chosen = select_topic(ruleset, request)
    return (chosen is None) if topic is None else (chosen is not None and chosen.topic == topic.topic)


class CaseWriter:
    """Writes random case files for a plan; `rng` decides everything, so a seed fixes the corpus."""

    def __init__(self, ruleset: RuleSet, corpus_plan: CorpusPlan, rng: random.Random) -> None:
        self.ruleset = ruleset
        self.plan = corpus_plan
        self.rng = rng
        self.vocabulary = ruleset.vocabulary.facts

    def case(self, number: int, items: int) -> dict[str, Any]:
        rng = self.rng
        primary = rng.choice(self.plan.generatable)
        edition = rng.choice([e for e in primary.topic.editions if e.criteria])
        request_date = _date_in(rng, edition)
        requests, medications, expected = [], [], []
        for index in range(items):
            item_id = f"item{index + 1}"
            request, meds = self._request(item_id, primary if index == 0 else None, request_date)
            requests.append(request)
            medications += meds
            expected.append(self._expected(item_id))
        case: dict[str, Any] = {
            "schema": "mtus-case/1",
            "case": f"synthetic-{number:06d}",
            "title": f"Synthetic case {number}",
            "source": "synthetic: benchmarks/corpus.py",
            "claimant": {"age": rng.randint(19, 70), "sex": rng.choice(["female", "male"])},
            "dates": {"injury": (request_date - dt.timedelta(days=rng.randint(60, 3000))).isoformat(), "request": request_date.isoformat()},
            "diagnoses": rng.sample(["lumbar sprain", "cervical sprain", "shoulder impingement", "knee pain", "carpal tunnel syndrome"], 2),
        }
        if medications or rng.random() < 0.5:
            case["medications"] = medications
        shared = self._case_facts()
        if shared:
            case["facts"] = shared
        case["requests"] = requests
        case["expected"] = expected
        return case

    def _request(self, item_id: str, chosen: Generatable | None, request_date: dt.date) -> tuple[dict, list[dict]]:
        rng = self.rng
        if chosen is None and rng.random() < 0.1 and (self.plan.uncovered_drugs or self.plan.uncovered_services):
            return self._uncovered(item_id), []
        entry = chosen or rng.choice(self.plan.generatable)
        in_force = entry.topic.editions_in_force(request_date)
        edition = in_force[0] if in_force else rng.choice(entry.topic.editions)
        request: dict[str, Any]
        meds: list[dict] = []
        if entry.drug_names and (not entry.services or rng.random() < 0.5):
            name = rng.choice(entry.drug_names)
            request = {"id": item_id, "text": f"{name} {rng.choice(STRENGTHS)} mg {rng.choice(FREQUENCIES)} #{rng.choice(QUANTITIES)}"}
            meds = self._history(name, request_date)
        else:
            service = rng.choice(entry.services)
            request = {"id": item_id, "text": service, "service": service}
        facts = self._item_facts(edition)
        if facts:
            request["facts"] = facts
        return request, meds

    def _uncovered(self, item_id: str) -> dict:
        rng = self.rng
        if self.plan.uncovered_drugs and (not self.plan.uncovered_services or rng.random() < 0.7):
            name = rng.choice(self.plan.uncovered_drugs)
            return {"id": item_id, "text": f"{name} {rng.choice(STRENGTHS)} mg {rng.choice(FREQUENCIES)} #{rng.choice(QUANTITIES)}"}
        return {"id": item_id, "text": rng.choice(self.plan.uncovered_services)}

    def _history(self, name: str, request_date: dt.date) -> list[dict]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            return [{"drug": name, "new_start": True}]
        if roll < 0.5:
            return [{"drug": name, "started": (request_date - dt.timedelta(weeks=rng.randint(0, 80))).isoformat()}]
        if roll < 0.8:
            return [{"drug": name, "documented_since": (request_date - dt.timedelta(weeks=rng.randint(1, 200))).isoformat()}]
        return []

    def _item_facts(self, edition: Edition) -> dict[str, Any]:
        """Values for the facts the edition's criteria read: some undocumented, sometimes chosen to meet them."""
        rng = self.rng
        facts: dict[str, Any] = {}
        aim_to_meet = rng.random() < 0.35
        for criterion in edition.criteria:
            for _, cond in criterion.conditions():
                for _, name, _, _ in tests(cond):
                    fact = self.vocabulary.get(name)
                    if fact is None or fact.derived or name in facts or name == "age":
                        continue
                    if rng.random() < 0.2:
                        continue  # not documented
                    facts[name] = self._value(fact)
            if aim_to_meet:
                self._meet(criterion.met_when, facts)
        return facts

    def _meet(self, condition: tuple, facts: dict[str, Any]) -> None:
        """Greedily set settable facts, one test at a time, until `condition` holds (it may not)."""
        for _, name, op, value in tests(condition):
            if evaluate(condition, facts) is True:
                return
            fact = self.vocabulary.get(name)
            candidate = None if fact is None or fact.derived or name == "age" else _satisfying(fact, op, value)
            if candidate is not None:
                facts[name] = candidate

    def _value(self, fact: Any) -> Any:
        rng = self.rng
        if fact.type == "boolean":
            return rng.random() < 0.6
        if fact.type == "string":
            return rng.choice(fact.values) if fact.values else "documented"
        low = fact.minimum if fact.minimum is not None else 0
        high = fact.maximum if fact.maximum is not None else max(low + 60, 60)
        if fact.type == "integer":
            return rng.randint(int(low), int(min(high, low + 200)))
        return round(rng.uniform(low, min(high, low + 200)), 1)

    def _case_facts(self) -> dict[str, Any]:
        """A few case-level facts shared by every item (facts no item sets itself)."""
        rng = self.rng
        settable = sorted(n for n, f in self.vocabulary.items() if not f.derived and f.type == "boolean")
        return {name: rng.random() < 0.5 for name in rng.sample(settable, min(len(settable), rng.randint(0, 3)))}

    def _expected(self, item_id: str) -> dict:
        decision = "not_medically_necessary" if self.rng.random() < 0.8 else "medically_necessary"
        return {"item": item_id, "decision": decision}


def _satisfying(fact: Any, op: str, value: Any) -> Any:
    if op == "eq":
        return value
    if op == "in":
        return value[0]
    if fact.type == "boolean":
        return (not value) if op == "ne" else None
    if fact.type == "string":
        others = [v for v in fact.values if v != value and (op != "not_in" or v not in value)]
        return others[0] if others else None
    step = 1 if fact.type == "integer" else 0.5
    candidate = {"lt": value - step, "lte": value, "gt": value + step, "gte": value, "ne": value + step}.get(op)
    if candidate is None:
        return None
    if fact.minimum is not None and candidate < fact.minimum or fact.maximum is not None and candidate > fact.maximum:
        return None
    return int(candidate) if fact.type == "integer" else float(candidate)


def _date_in(rng: random.Random, edition: Edition) -> dt.date:
    end = min(edition.effective_to or LAST_DAY, LAST_DAY)
    start = min(edition.effective_from, end)
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def to_yaml(case: dict[str, Any]) -> str:
    """Block-style YAML like the examples, with strings written as JSON (valid YAML) so '#' is safe."""
    return "".join(_yaml_lines(case, 0))


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:\n")
                lines += _yaml_lines(item, indent + 1)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}\n")
    else:
        for item in value:
            if isinstance(item, dict) and item:
                first, *rest = _yaml_lines(item, indent + 1)
                lines.append(f"{pad}- {first.lstrip()}")
                lines += rest
            else:
                lines.append(f"{pad}- {_scalar(item)}\n")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, dict)):
        return "[]" if isinstance(value, list) else "{}"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-" and value.replace("-", "").isdigit():
        return value  # an ISO date
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 /._()-]*$")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def write_corpus(ruleset: RuleSet, directory: Path, items: int, seed: int = 5) -> tuple[int, int, CorpusPlan]:
    """Write case files holding `items` requested items in total -> (cases, items, plan)."""
    corpus_plan = plan(ruleset)
    if not corpus_plan.generatable:
        raise SystemExit("no topic of the rule set can be generated: " + json.dumps(corpus_plan.skipped))
    rng = random.Random(seed)
    writer = CaseWriter(ruleset, corpus_plan, rng)
    directory.mkdir(parents=True, exist_ok=True)
    written = cases = 0
    while written < items:
        size = min(rng.randint(1, 6), items - written)
        case = writer.case(cases, size)
        (directory / f"case-{cases:06d}.yaml").write_text(to_yaml(case), encoding="utf-8")
        written += size
        cases += 1
    return cases, written, corpus_plan
