"""The checker's compiled build (setup.py): its modules run from source when the build is out of date.

A compiled module sits beside its source and the import system prefers it, so after an edit the old
compiled code would keep running until the next `make install`. The package's __init__ asks here first.
"""

from __future__ import annotations

import os
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES, SOURCE_SUFFIXES, FileFinder, SourceFileLoader
from importlib.util import find_spec

GROUP_LIBRARY = "app_checking__mypyc"  # the library holding the compiled code of every module (setup.py)
# One install writes a module's source and its compiled file a moment apart, in either order.
_SAME_INSTALL = 1.0  # seconds


def compiled(folder: str) -> dict[str, str]:
    """Module name -> path of its compiled file, for the modules in folder that have one."""
    suffix = EXTENSION_SUFFIXES[0]  # the interpreter's own (e.g. ".cpython-311-x86_64-linux-gnu.so")
    return {n[: -len(suffix)]: os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(suffix)}


def stale_reason(folder: str) -> str | None:
    """Why the compiled build in folder must not run (None when it can, or when there is none)."""
    built = compiled(folder)
    if not built:
        return None
    for name, path in sorted(built.items()):
        source = os.path.join(folder, name + ".py")
        if os.path.exists(source) and os.stat(source).st_mtime > os.stat(path).st_mtime + _SAME_INSTALL:
            return f"{name}.py changed after it was compiled"
    if find_spec(GROUP_LIBRARY) is None:
        return f"{GROUP_LIBRARY} is missing"
    return None


def use_source_if_stale(folder: str) -> None:
    """Import the package's modules from their source when its compiled build is out of date (and warn)."""
    reason = stale_reason(folder)
    if reason is None:
        return
    warnings.warn(
        f"app.checking runs from source: {reason} (`make install` compiles it again)", RuntimeWarning, 3
    )
    # The import system asks this finder for the package's modules: it knows only source files.
    sys.path_importer_cache[folder] = FileFinder(folder, (SourceFileLoader, SOURCE_SUFFIXES))
