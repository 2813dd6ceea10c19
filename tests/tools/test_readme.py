"""The README's tour runs, and every `print(...)  # expected` comment is what it prints."""
import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
_PRINT_WITH_EXPECTATION = re.compile(r"^print\(.*\)\s+# (?P<expected>.+)$")


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def expected_outputs(block):
    """The comment after each top-level print; text after ': ' is an explanation."""
    for line in block.splitlines():
        match = _PRINT_WITH_EXPECTATION.match(line)
        if match:
            yield match["expected"].split(": ")[0].strip()


def test_readme_has_tour_blocks():
    assert len(python_blocks()) >= 5


def test_readme_tour_prints_what_it_says():
    namespace = {}
    for block in python_blocks():
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(compile(block, str(README), "exec"), namespace)
        printed = stdout.getvalue().splitlines()
        assert printed == list(expected_outputs(block)), block
