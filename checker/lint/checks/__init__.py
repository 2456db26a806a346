"""The checks of `mtus rules lint`, one module each (CONTRIBUTING.md, "A lint check"). A module gives:

- ID: the name `mtus rules lint --explain ID` takes, the module's name with '-' for '_';
- TITLE: what the check refuses, in a few words;
- check(ruleset) -> list[Defect]: every defect it finds (checker.lint.defect);
- its docstring: the user's documentation (what it refuses and why, then a passing and a failing
  example under lines 'Passes:' and 'Fails:'), which `--explain` prints and the README lists.

checker.lint finds every module here: adding a check is adding a module.
"""
