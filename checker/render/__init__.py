"""Stage 6, render: the report through the templates, as text, Markdown, HTML or Word."""
