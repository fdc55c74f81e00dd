"""Build hook: the checker (app/checking) is compiled to C extension modules with mypyc, as black and mypy
ship themselves; the compiled modules give the same results several times faster per memo.

Everything else lives in pyproject.toml. The checker installs as plain Python when mypyc is missing, when
MOU_COMPILE=0, or when compiling fails (each extension is optional). app/checking/__init__.py runs the
source instead of a compiled build older than it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

# Not compiled: the package's __init__ and build.py (they check that the build is current), cli.py (run
# with `python -m`, which needs Python source) and model.py (the result types the rest of the app uses).
_PLAIN = {"__init__.py", "build.py", "cli.py", "model.py"}


def _checker_modules() -> list[str]:
    folder = Path(__file__).resolve().parent / "app" / "checking"
    return sorted(f"app/checking/{p.name}" for p in folder.glob("*.py") if p.name not in _PLAIN)


def _ext_modules() -> list:
    if os.environ.get("MOU_COMPILE") == "0":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("mypyc not available: the checker installs as plain Python", file=sys.stderr)
        return []
    try:
        # the group's library name is build.GROUP_LIBRARY
        modules = mypycify(_checker_modules(), opt_level="3", group_name="app_checking")
    except (Exception, SystemExit) as exc:  # mypy reports type errors by exiting
        print(f"compiling the checker failed ({exc!r}): it installs as plain Python", file=sys.stderr)
        return []
    for ext in modules:
        ext.optional = True  # a C compiler error leaves the source in use, not a failed install
    return modules


setup(ext_modules=_ext_modules())
