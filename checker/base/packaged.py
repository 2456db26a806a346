"""Where the data folders shipped with the library are: a source checkout keeps them at the top
level beside checker/, an installed package inside it."""

from __future__ import annotations

from pathlib import Path

from checker.base.errors import InputError


def packaged_dir(folder: str, marker: str, fix: str) -> Path:
    """The packaged FOLDER (the first place holding MARKER); InputError with FIX when it is missing."""
    here = Path(__file__).resolve().parents[1]  # checker/, two levels up from checker/base/packaged.py
    for candidate in (here.parent / folder, here / folder):
        if (candidate / marker).is_file():
            return candidate
    raise InputError(str(here), folder, f"the packaged {folder} are missing", fix)
