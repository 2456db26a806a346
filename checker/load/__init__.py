"""Stage 1, load: the case file (request lines, prescriptions) and the rule set (lexicons, conditions, citations), compiled for the engine and cached."""
