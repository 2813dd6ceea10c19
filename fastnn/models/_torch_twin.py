"""This package's source run under PyTorch: the drop-in check of the zoo.

Every module of `fastnn.models` is torch code whose three imports name fastnn
(``import fastnn as torch``, ``import fastnn.nn as nn``, ``import fastnn.nn.functional as
F``). `load()` imports the same files with those lines swapped back to torch's, as the
package `_fastnn_models_under_torch`, so the tests and ``python -m fastnn bench`` compare
each model against itself on torch, built by the same text.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import pathlib
import sys

PACKAGE = "_fastnn_models_under_torch"
_HERE = pathlib.Path(__file__).resolve().parent
_TORCH_IMPORTS = {
    "import fastnn as torch": "import torch",
    "import fastnn.nn as nn": "import torch.nn as nn",
    "import fastnn.nn.functional as F": "import torch.nn.functional as F",
}


def torch_source(text):
    """`text` with its top-level fastnn imports replaced by torch's."""
    return "\n".join(_TORCH_IMPORTS.get(line.rstrip(), line) for line in text.split("\n"))


class _TorchSourceLoader(importlib.machinery.SourceFileLoader):
    # compiled from the swapped text each time, never cached as bytecode
    def get_code(self, fullname):
        text = torch_source(self.get_data(self.path).decode())
        return compile(text, self.path, "exec", dont_inherit=True)


class _TwinFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == PACKAGE:
            file = _HERE / "__init__.py"
            return importlib.util.spec_from_file_location(
                fullname, file, loader=_TorchSourceLoader(fullname, str(file)),
                submodule_search_locations=[])
        package, _, name = fullname.rpartition(".")
        file = _HERE / f"{name}.py"
        if package != PACKAGE or not file.is_file() or name == "_torch_twin":
            return None
        return importlib.util.spec_from_file_location(
            fullname, file, loader=_TorchSourceLoader(fullname, str(file)))


def load():
    """The zoo built on torch: the package `_fastnn_models_under_torch` (needs torch)."""
    if not any(isinstance(finder, _TwinFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TwinFinder())
    return importlib.import_module(PACKAGE)
