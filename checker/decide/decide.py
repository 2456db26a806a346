"""From criterion statuses to the item decision, by the role each criterion plays in its guideline.

A unit (see checker.evaluate.results.Unit) is supported when its indications hold (the edition's indication
tree, three-valued: an undocumented indication leaves the request unsupported) and no limit is
documented as exceeded. Documentation criteria never decide; what they and undocumented limits
leave open is listed as documentation to request.

An item is evaluated in one or more units: its own topic, each ingredient of a compounded product,
and the associated-services gate. It is medically necessary only when every unit with a rule is; a
unit without a rule makes it no_applicable_rule unless another unit already denies it (a compound
with one ingredient that is not recommended is not recommended).

The criteria that decided are kept in the order a rationale names them (`reason_order`)."""

from __future__ import annotations

from typing import Any

from checker.base.outcomes import MEDICALLY_NECESSARY, MET, NO_APPLICABLE_RULE, NOT_APPLICABLE, NOT_DOCUMENTED, NOT_MEDICALLY_NECESSARY, NOT_MET
from checker.evaluate.results import CriterionResult, ItemResult, Unit
from checker.load.conditions import combine, evaluate, tests
from checker.load.ruleset import Criterion

_SKIP = "skip"
_NO_RULE = "no_rule"
_VALUE = {MET: True, NOT_MET: False, NOT_DOCUMENTED: None, NOT_APPLICABLE: _SKIP}


def decide(item: ItemResult, ordered: bool = True) -> ItemResult:
    """The item's decision, the criteria that decided (in reason_order) and those left to follow up.
    `ordered=False` (a regression run) leaves the deciding criteria in the rule's order when their
    order cannot change the citations a result lists: all cite one guideline edition, or none do
    (report.group_citations keeps each edition's group where it is first met and sorts the sections
    within it; the same citations as ranking: tests/test_speed.py). Then an item of one unit is
    decided as the last item of the same edition and statuses was (decided_alike)."""
    if ordered:
        return plain_decide(item, ordered)
    key = _alike_key(item)
    found = _DECIDED_ALIKE.get(key[0]) if key is not None else None
    if found is not None and found[0] is item.units[0].edition:
        answer = found[1].get(key[1])
        if answer is not None:
            criteria = item.criteria
            item.decision = answer[0]
            item.decisive = [criteria[i] for i in answer[1]]
            item.follow_up = [criteria[i] for i in answer[2]]
            return item
    plain_decide(item, ordered)
    if key is not None and not _cites_apart(item.decisive):
        _remember_decided(item, key)
    return item


# Decisions remembered per edition by the statuses of its criteria (decide, ordered=False): an item of
# one unit is decided from its edition and the statuses alone when the deciding criteria stay in the
# rule's order. By id(edition), the edition kept with its answers so no other takes its id; at most
# this many answers in all, forgotten all at once.
MAX_DECIDED_ALIKE = 4096
_DECIDED_ALIKE: dict[int, tuple[Any, dict[tuple[str, ...], tuple[str, tuple[int, ...], tuple[int, ...]]]]] = {}
_decided_alike_count = [0]


def _alike_key(item: ItemResult) -> tuple[int, tuple[str, ...]] | None:
    """(id of the edition, the statuses of its criteria in its order) of an item of one unit with an
    edition whose criteria it holds in that order; None for any other item."""
    if len(item.units) != 1:
        return None
    unit = item.units[0]
    edition = unit.edition
    if edition is None or len(unit.criteria) != len(edition.criteria) or (unit.criteria and unit.criteria[0].criterion is not edition.criteria[0]):
        return None
    return id(edition), tuple(r.status for r in unit.criteria)


def _remember_decided(item: ItemResult, key: tuple[int, tuple[str, ...]]) -> None:
    if _decided_alike_count[0] >= MAX_DECIDED_ALIKE:
        _DECIDED_ALIKE.clear()
        _decided_alike_count[0] = 0
    edition = item.units[0].edition
    held = _DECIDED_ALIKE.get(key[0])
    if held is None or held[0] is not edition:
        held = _DECIDED_ALIKE[key[0]] = (edition, {})
    position = {id(r): i for i, r in enumerate(item.criteria)}
    held[1][key[1]] = (item.decision, tuple(position[id(r)] for r in item.decisive), tuple(position[id(r)] for r in item.follow_up))
    _decided_alike_count[0] += 1


def plain_decide(item: ItemResult, ordered: bool = True) -> ItemResult:
    """decide, every item worked out afresh."""
    values = [_unit_value(u) for u in item.units]
    if False in values or None in values:
        item.decision = NOT_MEDICALLY_NECESSARY
    elif _NO_RULE in values:
        item.decision = NO_APPLICABLE_RULE
    else:
        item.decision = MEDICALLY_NECESSARY
    item.decisive = [r for r in item.criteria if _decides(r, item.decision)]
    if item.decision == MEDICALLY_NECESSARY:
        off = _off_every_met_route(item)
        item.decisive = [r for r in item.decisive if id(r) not in off]
    if item.decision == MEDICALLY_NECESSARY and not item.decisive:
        # No indication to show (a post-operative opioid: the request's timing is its indication), so
        # the approval rests on the limits shown to be kept.
        item.decisive = [r for r in item.criteria if r.criterion.role == "limit" and r.status == MET]
    if ordered or _cites_apart(item.decisive):
        item.decisive = reason_order(item, item.decisive)
    item.follow_up = [r for r in item.criteria if _left_open(r) and not _decides(r, item.decision)]
    return item


def _cites_apart(decided: list[CriterionResult]) -> bool:
    """Whether the criteria cite two guideline editions or more (then their order orders the citations)."""
    editions = {(c.guideline, c.edition) for c in (r.criterion.citation for r in decided) if c is not None}
    return len(editions) > 1


# The MTUS makes continuing a treatment depend on functional improvement from it (8 CCR 9792.20,
# "functional improvement"; the CPMTG's criteria for continuing each treatment): an indication met
# only when the records show that improvement asks what the treatment already given achieved.
BENEFIT_TEST = ("functional_improvement", "eq", True)
# What a treatment already given achieved, as the records would state it: the functional improvement
# and the pain relief it gives (the CPMTG's "4 A's", p. 78, ask for both at each visit).
OUTCOME_TESTS = frozenset({BENEFIT_TEST, ("pain_relief", "eq", True)})
OUTCOME_FACTS = frozenset({"functional_improvement", "pain_relief", "pain_reduction_percent"})
# The course of the injury and of its care so far: how long ago the injury (or the surgery) was,
# how long care has gone on, and what the care already given did (given, failed, recovery slower
# than expected). A criterion that reads only these, besides the outcome facts of that care
# (OUTCOME_FACTS) and the request's own service, states after what wait or what care a service may
# be given, not what it is for. The phase of care is not among them: acute and chronic pain are
# different conditions to the guidelines ("not recommended for chronic pain" says what the
# treatment is for).
COURSE_FACTS = frozenset({
    "weeks_since_injury", "months_since_injury", "weeks_since_surgery", "conservative_care_months",
    "conservative_care_given", "conservative_care_failed", "delayed_recovery",
})
# How a treatment already given is prescribed and checked (CPMTG 2009 p. 78, ongoing management:
# one prescriber, the lowest dose, the checks of the monitoring), as opposed to what it achieved or
# a finding of misuse.
MONITORING_FACTS = frozenset({
    "single_prescriber", "lowest_effective_dose", "side_effects_assessed", "urine_drug_screen_done",
    "cures_checked", "pain_agreement",
})
# The drug class of what a compounding kit adds to its active drug (rules/drugs.yaml, "compounded
# preparation"): the vehicle, judged by the compounded-drug rules after the drug it carries.
VEHICLE_CLASS = "compounded_preparation"


def reason_order(item: ItemResult, decided: list[CriterionResult]) -> list[CriterionResult]:
    """The criteria that decided, in the order a rationale names them (README, "Which reason the
    draft names first"):
    1. a limit the records document as exceeded (or a treatment documented as not recommended),
       unless an indication the records leave unmet would lift it (`lifted_by`): that limit comes
       right after the indication, as documenting the indication would settle both;
    2. then the indications, those on the route through the indication tree that the records come
       closest to meeting first (fewest indications missing, then most documented: best_routes),
       as documenting what that route lacks is what would change the decision;
    3. among those, an indication about what the treatment already given achieved (BENEFIT_TEST),
       when the records show it was given: to continue a treatment, its benefit decides before the
       reasons to start it;
       Conversely, an indication about what the treatment achieved (its functional improvement or
       its pain relief: OUTCOME_TESTS) comes after the other indications when the records show
       neither that the treatment was given nor any outcome of it: the request may be to start it,
       and the reasons to start it decide first;
    4. then an indication the records contradict before one they are silent on;
    5. then, of indications needed together (on one route), the finding the service is for before a
       condition on the course so far (COURSE_FACTS: the time since the injury, the care already
       given and whether it failed, recovery slower than expected; not the phase of care, which
       names the kind of pain): the reviewer first asks what the study or treatment is to find or
       treat ("no neurological findings" before "after a month of conservative care");
    6. then an indication on which the records state a finding (a fact read from them, not derived)
       before one on which they say nothing: the reviewer answers what the records put forward;
    7. then the criterion's place in the indication tree (the guideline's own order), in the topic,
       and the ingredient's place in the request.
    Three exceptions to 1 name a limit shown exceeded after the indications the records leave unmet:
    a. a limit on the course so far alone (COURSE_FACTS: "not within the first month", a waiting
       period), when an indication not on the course is left unmet too, as in 5: what the service is
       for comes before when it may be given;
    b. a limit on how a treatment already given is prescribed or monitored (MONITORING_FACTS: one
       prescriber), when an indication asks what that treatment achieved (3): a treatment that does
       not help is not continued however it is monitored;
    c. a limit of the compounded form of a compounding kit (the unit of the vehicle, VEHICLE_CLASS):
       every criterion of that unit, limit or indication, comes after those of the drug the kit
       carries, as a compound is judged first by the drug it holds.
    Before all of these, the associated-services gate of a pre- or post-operative item, when it denies:
    therapy after a surgery that is not medically necessary follows no surgery, so what the therapy
    itself lacks comes after.
    An approval orders what it rests on the same way. Stable: the same case gives the same order.
    One criterion, or none, is in order already: ranked_reasons is not asked (most items of a corpus)."""
    if len(decided) < 2:
        return list(decided)
    return ranked_reasons(item, decided)


def ranked_reasons(item: ItemResult, decided: list[CriterionResult]) -> list[CriterionResult]:
    """The criteria that decided, ranked as reason_order says."""
    tree_place: dict[str, int] = {}
    for unit in item.units:
        if unit.edition is not None:
            for cid in _tree_ids(unit.edition.decision):
                tree_place.setdefault(cid, len(tree_place))
    best = [unit_routes(unit) for unit in item.units]
    scores = {(n, cid): route[0] for n, through in enumerate(best) for cid, route in through.items()}
    topic_place: dict[str, int] = {}
    for result in item.criteria:
        topic_place.setdefault(result.criterion.id, len(topic_place))
    unit_place = {id(r): n for n, u in enumerate(item.units) for r in u.criteria}
    values = [{name: fact.value for name, fact in u.facts.items()} for u in item.units]
    # what the records state: not derived, and not who the claimant is (age and sex are no finding)
    stated = [{name for name, fact in u.facts.items() if fact.value is not None and fact.origin != "derived" and not fact.source.startswith("claimant.")}
              for u in item.units]

    vehicle = [_is_vehicle(u) for u in item.units]
    gate_denies = [u.role == "gate" and any(r.status in (NOT_MET, NOT_DOCUMENTED) for r in u.criteria) for u in item.units]
    in_unit = [[r for r in decided if unit_place.get(id(r)) == n] for n in range(len(item.units))]
    asks_benefit = [any(_asks_for_benefit(r, values[n]) for r in rs) for n, rs in enumerate(in_unit)]
    finding_unmet = [any(_unmet_finding(r) for r in rs) for rs in in_unit]

    def rank(result: CriterionResult) -> tuple[object, ...]:
        cid, unit = result.criterion.id, unit_place.get(id(result), 0)
        facts, said = (values[unit], stated[unit]) if item.units else ({}, set())
        exceeded = result.criterion.role == "limit" and result.status == NOT_MET
        lifters = lifted_by(result, item.units[unit].criteria) if exceeded and item.units else []
        score = min(scores.get((unit, r.criterion.id), (0, 0)) for r in lifters) if lifters else scores.get((unit, cid), (0, 0))
        named_later = exceeded and not lifters and (
            (finding_unmet[unit] and on_the_course(result.criterion)) or (asks_benefit[unit] and _on_monitoring(result.criterion))
        )
        return (
            bool(gate_denies) and not gate_denies[unit] and any(gate_denies),
            bool(vehicle) and vehicle[unit],
            not exceeded or bool(lifters) or named_later,
            named_later,
            score,
            bool(lifters),
            not _asks_for_benefit(result, facts),
            _asks_for_an_untold_outcome(result, facts, said),
            result.status != NOT_MET,
            _after_the_finding(result, item.units[unit] if item.units else None, best[unit] if best else {}),
            not _states_a_finding(result, said, facts),
            tree_place.get(cid, len(tree_place)),
            topic_place[cid],
            unit,
        )

    return sorted(decided, key=rank)


def lifted_by(limit: CriterionResult, unit_criteria: list[CriterionResult]) -> list[CriterionResult]:
    """The indications the records leave unmet that would lift this limit: the limit does not apply
    when the indication is met (its not_applicable_when is the indication's met_when, as "no imaging
    in the first month without a red flag" is lifted by the red-flag indication)."""
    exception = limit.criterion.not_applicable_when
    if exception is None:
        return []
    return [
        r for r in unit_criteria
        if r.criterion.role == "indication" and r.status in (NOT_MET, NOT_DOCUMENTED) and r.criterion.met_when == exception
    ]


def _asks_for_benefit(result: CriterionResult, facts: dict[str, object]) -> bool:
    """An indication about what the treatment already given achieved, where the records show it was
    given (its applies_when holds on them: unknown is not enough)."""
    criterion = result.criterion
    if criterion.role != "indication" or BENEFIT_TEST not in _tests(criterion.met_when):
        return False
    return criterion.applies_when is None or evaluate(criterion.applies_when, facts) is True


def _asks_for_an_untold_outcome(result: CriterionResult, facts: dict[str, object], stated: set[str]) -> bool:
    """An indication about what the treatment achieved (function or pain relief) where the records show
    neither that it was given (its applies_when does not hold on them) nor any outcome of it: the
    request may be to start it, and the reasons to start it are named first."""
    criterion = result.criterion
    if criterion.role != "indication" or not OUTCOME_TESTS & set(_tests(criterion.met_when)):
        return False
    given = criterion.applies_when is None or evaluate(criterion.applies_when, facts) is True
    return not given and not stated & OUTCOME_FACTS


def _reads(condition: object) -> frozenset[str]:
    return _read_of(condition)[2]


# What rank asks of the conditions of every decisive criterion of every item ranked (their tests, the
# facts they read), remembered by the condition: the rule set's own objects, asked again item after
# item, and walking each condition tree several times per criterion was most of ranking the reasons.
# A condition is held with its answer, so no other object takes its id while it is remembered; at most
# this many, forgotten all at once.
MAX_REMEMBERED_CONDITIONS = 4096
_CONDITIONS: dict[int, tuple[object, tuple, frozenset[str], tuple]] = {}


def _read_of(condition: object) -> tuple[object, tuple, frozenset[str], tuple]:
    """(condition, its tests as tests() yields them, the facts they read, (name, op, value) of each)."""
    found = _CONDITIONS.get(id(condition))
    if found is not None and found[0] is condition:
        return found
    if len(_CONDITIONS) >= MAX_REMEMBERED_CONDITIONS:
        _CONDITIONS.clear()
    walked = tuple(tests(condition))
    found = _CONDITIONS[id(condition)] = (
        condition, walked, frozenset(name for _, name, _, _ in walked), tuple((name, op, value) for _, name, op, value in walked),
    )
    return found


def on_the_course(criterion: Criterion) -> bool:
    """A criterion about the course of the injury and its care so far only (COURSE_FACTS, with the
    outcome of that care): not one about what the requested treatment itself achieved."""
    read = _reads(criterion.met_when) - OUTCOME_FACTS - {"service"}
    return bool(read) and read <= COURSE_FACTS


def _on_monitoring(criterion: Criterion) -> bool:
    """A limit about how a treatment is prescribed and monitored only (MONITORING_FACTS)."""
    read = _reads(criterion.met_when)
    return bool(read) and read <= MONITORING_FACTS


def _unmet_finding(result: CriterionResult) -> bool:
    """An indication the records leave unmet that is not on the course so far."""
    return result.criterion.role == "indication" and result.status in (NOT_MET, NOT_DOCUMENTED) and not on_the_course(result.criterion)


def _after_the_finding(result: CriterionResult, unit: Unit | None, through: dict[str, Route]) -> bool:
    """An indication on the course so far whose best route through the indication tree (`through`:
    unit_routes of its unit) also needs an indication the records leave unmet that is not on the
    course: that finding is named first."""
    if unit is None or result.criterion.role != "indication" or not on_the_course(result.criterion):
        return False
    route = through.get(result.criterion.id, ((0, 0), ()))[1]
    by_id = {r.criterion.id: r for r in unit.criteria}
    return any(cid in by_id and _unmet_finding(by_id[cid]) for cid in route if cid != result.criterion.id)


def _is_vehicle(unit: Unit) -> bool:
    """The unit of what a compounding kit adds to its drug (VEHICLE_CLASS), beside the drug's own unit."""
    return unit.role == "ingredient" and unit.topic is not None and VEHICLE_CLASS in unit.topic.drug_classes


def _tests(condition: object) -> tuple[tuple[str, str, object], ...]:
    return _read_of(condition)[3]


def _states_a_finding(result: CriterionResult, stated: set[str], facts: dict[str, object]) -> bool:
    """Whether the records state (not derive) a fact that satisfies one of the tests of the criterion's
    met_when: what they state against an alternative ("the tear is not full-thickness", an age past
    the one the alternative names) is not the finding the criterion is about, so it does not put the
    criterion before one whose finding they do state."""
    return any(test[1] in stated and evaluate(test, facts) is True for test in _read_of(result.criterion.met_when)[1])


Route = tuple[tuple[int, int], tuple[str, ...]]  # (score, the criteria on it, in tree order)


def unit_routes(unit: Unit) -> dict[str, Route]:
    """best_routes through the unit's indication tree, on the statuses of its criteria ({} without
    an edition)."""
    if unit.edition is None:
        return {}
    return best_routes(unit.edition.decision, {r.criterion.id: r.status for r in unit.criteria})


def best_routes(tree: object, statuses: dict[str, str]) -> dict[str, Route]:
    """For each criterion of an indication tree, the best route through it and that route's score, as
    (indications on it not shown met, minus those shown met). A route takes every part of an `all`
    and one part of an `any`; a not-applicable indication costs nothing. The route with the lowest
    score is the one the records come closest to meeting; of equal routes, the first in the tree."""
    return _routes(tree, statuses)[1] if tree is not None else {}


def _routes(tree: object, statuses: dict[str, str]) -> tuple[Route, dict[str, Route]]:
    """(the best route of the subtree, the best route through each of its criteria)."""
    if isinstance(tree, str):
        status = statuses.get(tree, NOT_APPLICABLE)
        score = (0, 0) if status == NOT_APPLICABLE else (0, -1) if status == MET else (1, 0)
        return (score, (tree,)), {tree: (score, (tree,))}
    kind, parts = tree
    solved = [_routes(part, statuses) for part in parts]
    if kind == "any":
        best = min((route for route, _ in solved), key=lambda route: route[0])
        return best, {cid: r for _, through in solved for cid, r in through.items()}
    best = _joined([route for route, _ in solved])
    through_all: dict[str, Route] = {}
    for n, (_, through) in enumerate(solved):
        others = [route for m, (route, _) in enumerate(solved) if m != n]
        for cid, route in through.items():
            through_all[cid] = _joined([*others[:n], route, *others[n:]])
    return best, through_all


_MOST_ROUTES = 64  # indication trees are small; a larger one is cut, keeping its first routes


def routes(tree: object) -> list[tuple[str, ...]]:
    """Every route through an indication tree (each a way to meet it: every part of an `all`, one
    part of an `any`), in tree order, at most _MOST_ROUTES."""
    if tree is None:
        return []
    if isinstance(tree, str):
        return [(tree,)]
    kind, parts = tree
    solved = [routes(part) for part in parts]
    if kind == "any":
        return [route for each in solved for route in each][:_MOST_ROUTES]
    combined: list[tuple[str, ...]] = [()]
    for each in solved:
        combined = [done + route for done in combined for route in each][:_MOST_ROUTES]
    return combined


def _joined(routes: list[Route]) -> Route:
    return (sum(r[0][0] for r in routes), sum(r[0][1] for r in routes)), tuple(cid for r in routes for cid in r[1])


def _tree_ids(tree: object) -> list[str]:
    """The criterion ids of an indication tree, depth first."""
    if tree is None:
        return []
    if isinstance(tree, str):
        return [tree]
    _, parts = tree
    return [cid for part in parts for cid in _tree_ids(part)]


def _decides(result: CriterionResult, decision: str) -> bool:
    role, status = result.criterion.role, result.status
    if decision == MEDICALLY_NECESSARY:
        return role == "indication" and status == MET
    if decision == NOT_MEDICALLY_NECESSARY:
        return (role == "indication" and status in (NOT_MET, NOT_DOCUMENTED)) or (role == "limit" and status == NOT_MET)
    return False


def _off_every_met_route(item: ItemResult) -> set[int]:
    """The indications shown met that lie on no route of their edition's indication tree that the
    records meet: an approval rests on the route it took ("an acute lesion repaired at once"), not on
    an indication of another route left incomplete (failed care, where the route also needs what the
    records do not give)."""
    off: set[int] = set()
    for unit in item.units:
        if unit.edition is None or unit.edition.decision is None:
            continue
        statuses = {r.criterion.id: r.status for r in unit.criteria}
        met_routes = [route for route in routes(unit.edition.decision) if all(statuses.get(c, NOT_APPLICABLE) in (MET, NOT_APPLICABLE) for c in route)]
        on = {c for route in met_routes for c in route}
        off |= {id(r) for r in unit.criteria if r.criterion.role == "indication" and r.status == MET and r.criterion.id not in on}
    return off


def _left_open(result: CriterionResult) -> bool:
    """Documentation the reviewer would still ask for: a documentation criterion not shown met, or a
    limit the records leave undocumented."""
    role, status = result.criterion.role, result.status
    return (role == "documentation" and status in (NOT_MET, NOT_DOCUMENTED)) or (role == "limit" and status == NOT_DOCUMENTED)


def _unit_value(unit: Unit) -> object:
    if unit.edition is None:
        return _NO_RULE
    by_id = {r.criterion.id: r for r in unit.criteria}
    if any(r.criterion.role == "limit" and r.status == NOT_MET for r in unit.criteria):
        return False
    if unit.edition.decision is None:
        return True
    holds = _tree_value(unit.edition.decision, by_id)
    return True if holds == _SKIP else holds


def _tree_value(tree: object, by_id: dict[str, CriterionResult]) -> object:
    """met -> True, not_met -> False, not_documented -> None (unknown), not_applicable -> skipped."""
    if isinstance(tree, str):
        return _VALUE[by_id[tree].status]
    kind, parts = tree
    values = [v for v in (_tree_value(p, by_id) for p in parts) if v != _SKIP]
    if not values:
        return _SKIP
    return combine(kind, values)
