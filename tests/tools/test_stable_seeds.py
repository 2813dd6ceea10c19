"""A seeded test draws the same data on every run: no seed taken from `hash()`, whose value
for a str (and for a class) changes from one process to the next (PYTHONHASHSEED), so a
failure on CI would not come back on a rerun. Seed from the key's text with zlib.crc32."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDED = {"default_rng", "RandomState", "Random", "seed", "manual_seed", "Generator"}


def _name(call):
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def hashed_seeds(source):
    """Line numbers of the calls in `source` that seed a generator with a `hash()`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node) in SEEDED:
            inner = [sub for arg in node.args for sub in ast.walk(arg)]
            if any(isinstance(sub, ast.Call) and _name(sub) == "hash" for sub in inner):
                found.append(node.lineno)
    return found


def test_the_rule_finds_a_hashed_seed():
    assert hashed_seeds("np.random.default_rng(abs(hash(key)) % 2 ** 32)") == [1]
    assert hashed_seeds("random.Random(hash(('a', 1)))") == [1]
    assert hashed_seeds("np.random.default_rng(zlib.crc32(repr(key).encode()))") == []
    assert hashed_seeds("assert hash(a) == hash(b)") == []


def test_no_seed_comes_from_hash():
    offenders = [f"{path.relative_to(ROOT)}:{line}"
                 for folder in ("tests", "benchmarks", "fastnn")
                 for path in sorted((ROOT / folder).rglob("*.py"))
                 for line in hashed_seeds(path.read_text())]
    assert not offenders, offenders
