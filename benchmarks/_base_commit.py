"""Another commit's fastnn in this process, for A/B timings against the working tree
(benchmarks/door_overhead.py, benchmarks/against_commit.py, ...)."""
import importlib
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# an import of the package by its own name (the zoo's and the examples' drop-in imports,
# a few modules' `import fastnn`): in the copy it must import the copy, not this tree. An
# import without `as` binds the name `fastnn`, which the copy's code goes on using
_BARE_IMPORT = re.compile(r"^(\s*)import fastnn((?:\.\w+)*)\s*$", re.M)
_OWN_IMPORT = re.compile(r"^(\s*(?:import|from)\s+)fastnn\b", re.M)


def import_base(commit, folder):
    """The package at `commit` as the top-level package ``fastnn_base``, every import of
    ``fastnn`` in its modules (and in the source the examples' loader writes) made an
    import of ``fastnn_base``."""
    tree = folder / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    package = folder / "fastnn_base"
    shutil.copytree(tree / "fastnn", package)
    # the folders pyproject.toml installs inside the package
    for folder_name in ("kernels", "examples"):
        if (tree / folder_name).is_dir():
            shutil.copytree(tree / folder_name, package / folder_name)
    for path in package.rglob("*.py"):
        text = path.read_text()
        renamed = _BARE_IMPORT.sub(r"\1import fastnn_base\2; import fastnn_base as fastnn", text)
        renamed = _OWN_IMPORT.sub(r"\1fastnn_base", renamed)
        # the imports the examples' loader writes into their source (examples/__init__.py)
        renamed = renamed.replace('"import fastnn', '"import fastnn_base')
        if renamed != text:
            path.write_text(renamed)
    sys.path.insert(0, str(folder))
    return importlib.import_module("fastnn_base")


def start(base, torch, args, dtype):
    """Give this tree's fastnn, the `base` package and torch (when present) args.threads
    threads, and print the line saying where and how the A/B runs."""
    import fastnn
    from _machine import cpu_model
    for package in (fastnn, base):
        package.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(f"{cpu_model()}, {args.threads} threads, {dtype}, median of {args.rounds} "
          f"alternating blocks; base {args.base}")
