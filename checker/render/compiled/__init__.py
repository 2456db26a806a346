"""The packaged templates compiled ahead for Jinja's ModuleLoader (checker/render/ahead.py): one
module per template and keys.py, written into the wheel when it is built (setup.py), or into a source
checkout by `python -m checker.render.ahead` (git ignores them). Empty here: a checkout without them
reads every template from its source."""
