"""Compact contract files (issue 10): one `tests:` line counting the tests of each file,
and leaves that differ only by a number (tuple positions, numbered keys) folded into one
line, so a wide table or a large suite does not make a contract thousands of lines long."""

from __future__ import annotations

from pathlib import Path

from seamrec.cassette.store import Call, Cassette, Run, read_cassettes
from seamrec.model.shape import Shape, args_shape, make_shape_function
from seamrec.review.contract import (
    SeamContract,
    contracts_of,
    folded_lines,
    line_of_tests,
    merge_all,
    merged,
    render_files,
)

shape_of = make_shape_function()
SEAM = "app.repo:save"
EXAMPLE_CASSETTES = Path(__file__).resolve().parents[3] / "cassettes"


def contract_of(*pairs: tuple[str, Shape]) -> SeamContract:
    contract = SeamContract(SEAM)
    for root, shape in pairs:
        contract.add_shape(root, shape)
    return contract


def test_the_tests_line_counts_the_tests_of_each_file() -> None:
    tests = [
        "tests/test_b.py::test_x",
        "tests/test_a.py::test_one[1]",
        "tests/test_a.py::test_one[2]",
        "tests/test_a.py::TestC::test_two",
    ]
    assert "tests: tests/test_a.py (3), tests/test_b.py (1)" == line_of_tests(tests)


def test_the_contract_file_lists_test_files_and_show_lists_every_test() -> None:
    contract = contract_of(("return", ("None",)))
    contract.tests |= {"tests/test_a.py::test_1", "tests/test_a.py::test_2", "tests/test_b.py::t"}

    block = render_files({SEAM: contract})["app.repo"].split("\n\n")[1].splitlines()

    assert ["tests: tests/test_a.py (2), tests/test_b.py (1)"] == block[-1:]
    assert [
        "tests:",
        "  tests/test_a.py::test_1",
        "  tests/test_a.py::test_2",
        "  tests/test_b.py::t",
    ] == contract.lines()[-4:]


def test_tuple_positions_of_one_type_are_one_line_per_run() -> None:
    params = tuple([1] * 6 + ["a"] + [2] * 3 + [None] * 4)
    contract = contract_of(("args", args_shape(("params",), [shape_of(params)])))

    assert [
        "  args.params: tuple",
        "  args.params[0..5]: int",
        "  args.params[6]: str",
        "  args.params[7]: int",
        "  args.params[8]: int",
        "  args.params[9]: int",
        "  args.params[10..13]: None",
    ] == contract.path_lines()


def test_numbered_keys_of_one_type_are_one_line_and_other_keys_stay() -> None:
    record = {f"c{n}": n for n in range(12)} | {"c5": "five", "id": 1, "c01": 2}
    contract = contract_of(("return", shape_of(record)))

    assert [
        "  return: dict",
        "  return['c0'..'c11', 11 keys]: int",
        "  return['c01']: int",
        "  return['c5']: str",
        "  return['id']: int",
    ] == contract.path_lines()


def test_optional_and_nested_siblings_are_not_folded_together() -> None:
    """Only leaves with the same types and the same `?` fold; a key with lines below it
    stays, and the names of arguments are never folded."""
    wide = {f"k{n}": 1 for n in range(5)}
    narrow = {f"k{n}": 1 for n in range(3)} | {"k9": {"x": 1}}
    contract = contract_of(
        ("return", shape_of(wide)),
        ("return", shape_of(narrow)),
        ("args", args_shape(tuple(f"a{n}" for n in range(5)), [("int",)] * 5)),
    )

    lines = contract.path_lines()

    assert ["  args.a0: int", "  args.a1: int"] == lines[:2]
    assert "  return['k3']?: int" in lines
    assert "  return['k4']?: int" in lines
    assert "  return['k9']?: dict" in lines
    assert "  return['k9']['x']: int" in lines
    assert "  return['k0']: int" in lines  # three required keys: fewer than four


def test_fewer_than_four_numbered_siblings_are_written_one_by_one() -> None:
    contract = contract_of(("return", shape_of((1, 2, 3))))
    assert ["  return: tuple", "  return[0]: int", "  return[1]: int", "  return[2]: int"] == (
        contract.path_lines()
    )


def test_folding_keeps_every_entry_that_is_not_folded_in_order() -> None:
    contract = contract_of(("return", shape_of({"b": [1], "a": (1, "x")})))
    entries = contract.entries()
    assert [e.line() for e in entries] == folded_lines(entries)


def cassette(test: str, *returns: object) -> Cassette:
    made = Cassette(test)
    shapes = [shape_of(value) for value in returns]
    arguments = args_shape(("n",), [("int",)])
    made.runs[SEAM] = [Run(arguments, "return", shape, 1) for shape in shapes]
    made.calls = [
        Call(SEAM, "app.api", i, arguments, "return", s, None, None) for i, s in enumerate(shapes)
    ]
    return made


def test_merged_folds_each_distinct_shape_once_with_the_same_lines() -> None:
    """Merging many tests that share shapes gives the lines of merging test by test."""
    cassettes = [
        cassette("tests/test_a.py::t1", {"id": 1}, {"id": 2, "name": "x"}),
        cassette("tests/test_a.py::t2", {"id": 1}),
        cassette("tests/test_b.py::t3", {"id": 1, "name": None}, [1]),
    ]
    fast = merged(cassettes)
    slow = merge_all(contracts_of(c) for c in cassettes)

    assert fast[SEAM].lines() == slow[SEAM].lines()
    assert "  return['name']?: str | None" in fast[SEAM].lines()
    assert (fast[SEAM].calls, fast[SEAM].callers) == (slow[SEAM].calls, slow[SEAM].callers)


def test_merged_gives_the_example_app_the_same_contract_files_as_merging_test_by_test() -> None:
    found, errors = read_cassettes(EXAMPLE_CASSETTES, payloads=False)
    cassettes = [c for _, c in found]
    assert ([], True) == (errors, len(cassettes) > 10)

    slow = merge_all(contracts_of(c) for c in cassettes)
    assert render_files(merged(cassettes)) == render_files(slow)
