"""Stage 2, derive: the facts computed from the request line, the dates and the medication history."""
