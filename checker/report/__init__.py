"""Stage 5, report: the result as plain data (what JSON prints), and the draft's negative claims checked against the case."""
