"""Build hook (the rest of the build is in pyproject.toml): the wheel gets the packaged templates
compiled ahead for Jinja's ModuleLoader (checker/render/ahead.py), so an installed `mtus` never
compiles a packaged template, the code of the dataclasses' generated methods (checker/base/records.py)
and the compiled programs of the package's regular expressions (checker/base/patterns.py). An editable
install reads them from the checkout, where `python -m checker.render.ahead` (or `python -m
checker.base.records` and `python -m checker.base.patterns`) writes them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithCompiledTemplates(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "checker"
        subprocess.run([sys.executable, "-m", "checker.render.ahead", str(package / "render" / "compiled")], check=True, cwd=HERE)
        subprocess.run([sys.executable, "-m", "checker.base.records", str(package / "base" / "dataclass_code.marshal")], check=True, cwd=HERE)
        subprocess.run([sys.executable, "-m", "checker.base.patterns", str(package / "base" / "pattern_code.marshal")], check=True, cwd=HERE)


setup(cmdclass={"build_py": BuildPyWithCompiledTemplates})
