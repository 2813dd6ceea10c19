"""Every `python -m fastnn` help text names only files a user of the package has."""
import re

import pytest

from fastnn.__main__ import build_parser

_OUTSIDE = re.compile(r"(\.\./|\bshared/|(?<![\w.])/(?:work|tmp|home|root|Users)/)")


def _help_texts():
    parser = build_parser()
    yield "fastnn", parser.format_help()
    for action in parser._subparsers._group_actions:
        for name, sub in action.choices.items():
            yield name, sub.format_help()


@pytest.mark.parametrize("name,text", list(_help_texts()))
def test_help_names_no_file_outside_the_repository(name, text):
    assert not _OUTSIDE.search(text), f"{name} --help: {_OUTSIDE.search(text).group(0)!r}"


def test_the_check_sees_such_a_path():
    assert _OUTSIDE.search("the cases of shared/PERF.md")
    assert _OUTSIDE.search("see /work/scratch/bench.py")
    assert not _OUTSIDE.search("the cases in fastnn/_bench.py (docs/PERF.md)")
