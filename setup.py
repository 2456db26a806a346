"""Build hook (the rest of the build is in pyproject.toml): the wheel gets the packaged templates
compiled ahead for Jinja's ModuleLoader (checker/render/ahead.py), so an installed `mtus` never
compiles a packaged template. An editable install reads them from the checkout, where
`python -m checker.render.ahead` writes them."""

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
        target = Path(self.build_lib) / "checker" / "render" / "compiled"
        subprocess.run([sys.executable, "-m", "checker.render.ahead", str(target)], check=True, cwd=HERE)


setup(cmdclass={"build_py": BuildPyWithCompiledTemplates})
