"""Model definitions in plain PyTorch idiom, installed as ``fastnn.examples``.

Every file here is ordinary PyTorch code: ``import torch``, ``torch.nn as nn``,
``torch.nn.functional as F``. Importing ``fastnn.examples.<name>`` runs that same source
with those three imports swapped for fastnn's -- the whole of what "drop-in" means -- so
the models are real, importable (and so picklable) fastnn classes. ``load(name,
backend="torch")`` runs the unmodified source under PyTorch, for comparison.

    >>> from fastnn.examples import resnet
    >>> model = resnet.build().eval()
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import pathlib
import sys
import types

_HERE = pathlib.Path(__file__).resolve().parent
NAMES = tuple(sorted(p.stem for p in _HERE.glob("*.py") if not p.stem.startswith("_")))

_FASTNN_IMPORTS = {
    "import torch": "import fastnn as torch",
    "import torch.nn as nn": "import fastnn.nn as nn",
    "import torch.nn.functional as F": "import fastnn.nn.functional as F",
}


def swap_imports(source):
    """PyTorch source with its top-level torch imports replaced by fastnn's."""
    return "\n".join(_FASTNN_IMPORTS.get(line.rstrip(), line) for line in source.split("\n"))


def source(name, backend="fastnn"):
    """The source text of example `name`, as it runs under `backend` ('fastnn' or 'torch')."""
    if name not in NAMES:
        raise ValueError(f"unknown example {name!r}; expected one of {', '.join(NAMES)}")
    if backend not in ("fastnn", "torch"):
        raise ValueError(f"backend must be 'fastnn' or 'torch', not {backend!r}")
    text = (_HERE / f"{name}.py").read_text()
    return swap_imports(text) if backend == "fastnn" else text


def load(name, backend="fastnn"):
    """Example `name` as a module running on `backend`."""
    if backend == "fastnn":
        source(name)  # validates the name
        return importlib.import_module(f"{__name__}.{name}")
    module = types.ModuleType(f"torch_example_{name}")
    module.__file__ = str(_HERE / f"{name}.py")
    exec(compile(source(name, backend), module.__file__, "exec"), module.__dict__)
    return module


class _SwappedImportsLoader(importlib.machinery.SourceFileLoader):
    # compiled from the swapped text each time and never cached as bytecode, so a plain
    # `import resnet` from this folder can never pick up the fastnn variant
    def get_code(self, fullname):
        text = swap_imports(self.get_data(self.path).decode())
        return compile(text, self.path, "exec", dont_inherit=True)


class _ExamplesFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != __name__ or name not in NAMES:
            return None
        file = str(_HERE / f"{name}.py")
        return importlib.util.spec_from_file_location(
            fullname, file, loader=_SwappedImportsLoader(fullname, file))


if not any(isinstance(finder, _ExamplesFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _ExamplesFinder())
