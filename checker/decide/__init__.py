"""Stage 4, decide: the item decision from its criterion statuses."""
