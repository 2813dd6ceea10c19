"""fastnn's core is layered: leaf modules (dtypes, argument parsing, promotion rules,
kernels) -> tensor -> array helpers -> creation -> nn -> top-level functions -> the package.
Every module imports cleanly as the first import of a fresh interpreter, no module imports
from a higher layer, the core imports nothing inside functions, and no import circle exists."""
import ast
import pathlib
import pkgutil

import pytest

import fastnn

PACKAGE = pathlib.Path(fastnn.__file__).resolve().parent
LEAF = {"fastnn._registry", "fastnn._plans", "fastnn._sampling", "fastnn._args",
        "fastnn._dtypes", "fastnn._torch_types", "fastnn._alloc",
        "fastnn._data", "fastnn._errstate", "fastnn._reductions", "fastnn._ufunc_rules",
        "fastnn._random",
        "fastnn._runtime", "fastnn._compile_notice", "fastnn._grad", "fastnn._pt_format",
        "fastnn._peakmem", "fastnn._tuning", "fastnn._tuning_store", "fastnn._ufunc_parallel",
        "fastnn._layout", "fastnn._out_arg", "fastnn._order_statistic_args"}
LAYERS = ["leaf", "tensor", "array helpers", "creation", "nn", "functions", "package"]
TOP = LAYERS.index("package")


def layer(module):
    """The layer index of a fastnn module (the package and its front ends are the top)."""
    if module in LEAF or module == "fastnn.kernels" or module.startswith("fastnn.kernels."):
        return LAYERS.index("leaf")
    if module == "fastnn.nn" or module.startswith("fastnn.nn."):
        return LAYERS.index("nn")
    if module == "fastnn.autograd" or module.startswith("fastnn.autograd."):
        return LAYERS.index("array helpers")     # the door's autograd step
    named = {"fastnn.tensor": "tensor", "fastnn._tensor_methods": "tensor",
             "fastnn._tensor_function_methods": "tensor", "fastnn._arith_methods": "tensor",
             "fastnn._ufunc_methods": "tensor", "fastnn._compose_methods": "tensor",
             "fastnn._numpy_name_methods": "tensor", "fastnn._fused_arith": "tensor",
             "fastnn._split_methods": "tensor", "fastnn._value_methods": "tensor",
             "fastnn._indexed_update_methods": "tensor",
             "fastnn._products": "tensor", "fastnn._operators": "tensor",
             "fastnn._python_protocols": "tensor",
             "fastnn._cumulative_methods": "tensor", "fastnn._cross_methods": "tensor",
             "fastnn._order_statistics": "tensor",
             "fastnn._in_place_methods": "tensor", "fastnn._set_methods": "tensor",
             "fastnn._special_methods": "tensor",
             "fastnn._statistics_methods": "tensor",
             "fastnn._decomposition_methods": "tensor", "fastnn._random_methods": "tensor",
             "fastnn._special_ops": "array helpers",
             "fastnn._select_ops": "array helpers", "fastnn._scatter_ops": "array helpers",
             "fastnn._indexed_update_ops": "array helpers",
             "fastnn._norm_ops": "array helpers", "fastnn._compare_ops": "array helpers",
             "fastnn._linalg_ops": "array helpers",
             "fastnn._array": "array helpers", "fastnn._dispatch": "array helpers",
             "fastnn._view_ops": "array helpers", "fastnn.backends": "array helpers",
             "fastnn._shape_ops": "array helpers", "fastnn._copy_ops": "array helpers",
             "fastnn._reduction_ops": "array helpers", "fastnn._math_ops": "array helpers",
             "fastnn._select_grad": "array helpers",
             "fastnn._creation": "creation", "fastnn._random_factories": "creation",
             "fastnn._functions": "functions"}
    return LAYERS.index(named.get(module, "package"))


def all_modules():
    """Every module of the package. `fastnn.kernels` is installed from the top-level
    `kernels/` folder (pyproject's package-dir), so it is walked from its own path."""
    import fastnn.kernels
    names = {m.name for m in pkgutil.walk_packages(fastnn.__path__, "fastnn.")}
    names |= {"fastnn.kernels"} | {
        m.name for m in pkgutil.walk_packages(fastnn.kernels.__path__, "fastnn.kernels.")}
    return sorted(names)


def _source(module):
    parts = module.split(".")[1:]
    if parts[:1] == ["kernels"]:
        import fastnn.kernels
        path = pathlib.Path(fastnn.kernels.__file__).parent.joinpath(*parts[1:])
        if path.is_dir():
            return path / "__init__.py", True
        return (path.with_suffix(".py") if parts[1:] else path / "__init__.py",
                not parts[1:])
    path = PACKAGE.joinpath(*parts)
    if path.is_dir():
        return path / "__init__.py", True
    return path.with_suffix(".py"), False


def _is_module(name):
    path, _ = _source(name)
    return name != "fastnn" and path.exists()


def imports(module):
    """(imported fastnn module, inside a function?) for every import in `module`'s source."""
    path, is_package = _source(module)
    tree = ast.parse(path.read_text())
    package = module if is_package else module.rpartition(".")[0]
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
            if isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                if base == "fastnn" or base.startswith("fastnn."):
                    for alias in child.names:
                        target = f"{base}.{alias.name}"
                        found.append((target if _is_module(target) else base, nested))
            elif isinstance(child, ast.Import):
                found.extend((alias.name, nested) for alias in child.names
                             if alias.name.startswith("fastnn."))
            visit(child, nested)

    visit(tree, False)
    return found


def _with_parents(target):
    """`target` and the packages Python imports before it (not the root `fastnn`)."""
    parts = target.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts) + 1)]


@pytest.mark.parametrize("module", all_modules())
def test_every_module_imports_first_in_a_fresh_interpreter(run_python, module):
    done = run_python(f"import {module}\nprint('ok')",
                      env={"PYTHONPATH": str(PACKAGE.parent)})
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr


def test_the_walk_covers_kernels_and_nn():
    modules = all_modules()
    assert "fastnn.kernels.conv" in modules and "fastnn.nn.functional._activation" in modules
    assert {"fastnn.tensor", "fastnn._creation", "fastnn._array", "fastnn._functions"} <= set(
        modules)


@pytest.mark.parametrize("module", [m for m in all_modules() if layer(m) < TOP])
def test_no_core_module_imports_from_a_higher_layer(module):
    own = layer(module)
    for target, _ in imports(module):
        for imported in _with_parents(target):
            assert layer(imported) <= own, (
                f"{module} ({LAYERS[own]}) imports {imported} ({LAYERS[layer(imported)]})")


@pytest.mark.parametrize("module", [m for m in all_modules() if layer(m) < TOP])
def test_no_core_module_imports_inside_a_function(module):
    lazy = [target for target, nested in imports(module) if nested]
    assert not lazy, f"{module} imports {lazy} inside a function"


def test_no_import_circle():
    graph = {m: {t for t, nested in imports(m) if not nested and t != m}
             for m in all_modules()}
    state = {}

    def visit(module, path):
        state[module] = "open"
        for target in graph.get(module, ()):
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_the_layering_check_can_fail():
    assert layer("fastnn._creation") > layer("fastnn.tensor") > layer("fastnn._dtypes")
    assert ("fastnn._dtypes", False) in imports("fastnn.tensor") or any(
        t == "fastnn._dtypes" for t, _ in imports("fastnn.tensor"))
    assert layer("fastnn.nn._utils") > layer("fastnn._creation")


def test_every_package_is_in_pyprojects_package_list():
    """setuptools installs only the listed packages: a subpackage left out is missing from
    the wheel (fastnn._passes was, so optimize_for_inference failed when installed)."""
    import tomllib
    root = pathlib.Path(__file__).resolve().parents[2]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    packages = {m for m in all_modules() if _source(m)[1]}
    assert packages - listed == set()
