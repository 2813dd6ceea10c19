"""Rules without lab notebooks: no measured figure in the code's comments or docstrings.

A comment or docstring states a rule and its reason in words; the figures behind it (times,
GFLOP/s, GB/s, speed ratios, before -> after histories, the CPU they were taken on) live in
docs/PERF.md, made by scripts in benchmarks/. This scans kernels/*.py (not the generated
tiles_*.py, whose text comes from tools/tile_templates), tools/ and fastnn/.
"""
import ast
import io
import os
import pathlib
import re
import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[2]

_NUMBER = r"\d+(?:\.\d+)?"
_TIME = r"(?:ms|us|µs|ns|s)"
FIGURE = re.compile("|".join([
    rf"{_NUMBER}(?:\s?{_TIME})?\s*->\s*{_NUMBER}\s?{_TIME}\b",    # 0.197 -> 0.124 ms
    rf"{_NUMBER}\s?(?:ms|us|µs|ns)\b",                         # 3.8 us, ~150 ns
    rf"{_NUMBER}\s?(?:GFLOP/s|GF/s|GB/s)",                     # 290 GFLOP/s, 180 GB/s
    rf"{_NUMBER}\s?(?:x|times) (?:faster|slower|on\b|the\b|torch's)",  # 25x slower, 1.4x on
    r"\bZen ?\d\b|\bznver\d*|\bEPYC\b|\bXeon\b",                # the CPU it ran on
]), re.IGNORECASE)


def _text(match):
    return " ".join(match.group(0).split())


def _segment(lines, node):
    """`node`'s source text, as `ast.get_source_segment` gives it (which splits the whole
    source again on every call: quadratic over a file's docstrings)."""
    first = lines[node.lineno - 1].encode()
    if node.end_lineno == node.lineno:
        return first[node.col_offset:node.end_col_offset].decode()
    last = lines[node.end_lineno - 1].encode()
    return "".join([first[node.col_offset:].decode(), *lines[node.lineno:node.end_lineno - 1],
                    last[:node.end_col_offset].decode()])


def figures_in(source):
    """(line, matched text) of every figure in the comments and bare string statements
    (docstrings) of Python `source`; ordinary string literals are left alone."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found += [(token.start[0], _text(m)) for m in FIGURE.finditer(token.string)]
    lines = source.splitlines(keepends=True)
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            text = _segment(lines, node.value)
            found += [(node.lineno + text[:m.start()].count("\n"), _text(m))
                      for m in FIGURE.finditer(text)]
    return sorted(found)


def scanned_files():
    yield from (path for path in sorted((ROOT / "kernels").glob("*.py"))
                if not path.name.startswith("tiles_"))
    for folder in ("tools", "fastnn"):
        # os.walk does not follow links: a worktree's fastnn/kernels link is kernels/
        for parent, dirs, files in os.walk(ROOT / folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            yield from (pathlib.Path(parent, name) for name in sorted(files)
                        if name.endswith(".py"))


PLANTED = '''"""Tiles of 8 rows (0.266 -> 0.237 ms on n2 64ch)."""
NAME = "256x1024 @ 1024->1024 at 3 ms"     # a string literal, not a note


def kernel():
    """Unmasked stores for full tiles: the masked one is slower."""
    x = 1  # stack buffers: the caller's were 25x slower; 11 s -> 5 s to compile
    y = 2  # ran at 290 GFLOP/s, a copy at ~180 GB/s, 3.8 us a call
    return f"{x} ms"


def rule():
    """Measured on the 2-core znver5 box and an AMD EPYC (Zen 3), 1.35x faster,
    1.4x on grouped_h3."""
'''


def test_the_scanner_finds_planted_figures_in_comments_and_docstrings_only():
    assert figures_in(PLANTED) == [
        (1, "0.266 -> 0.237 ms"),
        (7, "11 s -> 5 s"), (7, "25x slower"),
        (8, "180 GB/s"), (8, "290 GFLOP/s"), (8, "3.8 us"),
        (13, "1.35x faster"), (13, "EPYC"), (13, "Zen 3"), (13, "znver5"), (14, "1.4x on"),
    ]


def test_the_scanner_leaves_rules_and_arrows_alone():
    clean = ('"""(K, C) -> the packed shape; 16 lanes, 2x8 tiles; 5% margin."""\n'
             "MARGIN = 0.05  # another variant must beat the rule's by 5%\n"
             "# 1x1 s2 256->512: 7 tiles, 2 tasks; users of it\n")
    assert figures_in(clean) == []


def test_the_scan_covers_kernels_tools_and_fastnn():
    names = {path.relative_to(ROOT).as_posix() for path in scanned_files()}
    assert {"kernels/conv.py", "tools/gen_tiles.py", "tools/tile_templates/blocked.py",
            "fastnn/_dispatch.py", "fastnn/nn/functional/_linear.py"} <= names
    assert not any(name.startswith(("kernels/tiles_", "fastnn/kernels/")) for name in names)


def test_no_measured_figures_in_comments_or_docstrings():
    notes = [f"{path.relative_to(ROOT).as_posix()}:{line}: {text}"
             for path in scanned_files()
             for line, text in figures_in(path.read_text(encoding="utf-8"))]
    assert not notes, ("figures belong in docs/PERF.md, made by a script in benchmarks/; "
                       "state the rule in words:\n" + "\n".join(notes))
