"""The values a check gives, defined once: a criterion's status and an item's decision (README,
"What it does"). Every module that writes or tests one of them names it from here."""

from __future__ import annotations

MET = "met"
NOT_MET = "not_met"
NOT_DOCUMENTED = "not_documented"
NOT_APPLICABLE = "not_applicable"
STATUSES = (MET, NOT_MET, NOT_DOCUMENTED, NOT_APPLICABLE)

MEDICALLY_NECESSARY = "medically_necessary"
NOT_MEDICALLY_NECESSARY = "not_medically_necessary"
NO_APPLICABLE_RULE = "no_applicable_rule"
DECISIONS = (MEDICALLY_NECESSARY, NOT_MEDICALLY_NECESSARY, NO_APPLICABLE_RULE)
# The decisions an IMR letter gives an item (it never says no rule applies).
LETTER_DECISIONS = (MEDICALLY_NECESSARY, NOT_MEDICALLY_NECESSARY)
