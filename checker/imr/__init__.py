"""Side tool `mtus import`: IMR decision letters (PDF or text) read into case files."""
