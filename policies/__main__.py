"""The pack's entry point: what the engine runs, whatever this folder is called.

The Python language host starts a pack as `python -u -m pulumi.policy <engine> <pack dir>`,
which executes this file with `runpy.run_path(<pack dir>)`: the pack dir becomes the working
directory and the first entry of sys.path, and nothing is importable as a package. The pack's
modules import each other relatively, so this file loads the folder as a package under a private
name from its own location, whatever the folder is named, and takes the pack dir off sys.path so
that its subpackages never shadow top-level packages.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType

_PACK_DIR = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = "_policy_pack"


def load_pack() -> ModuleType:
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _PACK_DIR]
    spec = importlib.util.spec_from_file_location(
        _PACKAGE, os.path.join(_PACK_DIR, "__init__.py"), submodule_search_locations=[_PACK_DIR])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the policy pack in {_PACK_DIR}")
    package = importlib.util.module_from_spec(spec)
    sys.modules[_PACKAGE] = package
    spec.loader.exec_module(package)
    return package


if __name__ == "__main__":
    load_pack()
    importlib.import_module(f"{_PACKAGE}._serve").serve()
