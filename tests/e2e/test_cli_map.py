"""`seamrec map`: the seams as a Mermaid graph, changed seams highlighted.

The layered app is recorded once per session (`baseline` in conftest.py) by a real
`pytest --record-seams` run, with one extra test file, `tests/test_orders.py`; each test
gets its own copy of the project and those cassettes (`recorded_app`) and re-records after
changing the app, the way a developer would. Every command runs as `python -m seamrec` in
a subprocess.
"""

from __future__ import annotations

import re

import pytest

from helpers import (
    OUTSIDE,
    LayeredApp,
    assert_usage_error,
    commit_all,
    rename_email_and_record,
    seamrec,
)

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config


def edges(graph: str) -> list[tuple[str, str, int, str]]:
    """(caller node, seam name, calls, callee node) of each edge of a Mermaid map, in order."""
    labels = dict(re.findall(r'^  (m\d+)\["(.*)"\]$', graph, re.MULTILINE))
    return [
        (labels[caller], seam, int(calls), labels[callee])
        for caller, seam, calls, callee in re.findall(
            r'^  (m\d+) -->\|"(\S+) \((\d+) calls?(?:, all callers)?\)"\| (m\d+)$',
            graph,
            re.MULTILINE,
        )
    ]


def highlighted(graph: str) -> list[str]:
    """The seam names of the edges a `linkStyle` line of the map highlights."""
    styles = re.findall(r"^  linkStyle ([\d,]+) stroke:", graph, re.MULTILINE)
    assert len(styles) <= 1
    drawn = edges(graph)
    return [drawn[int(i)][1] for style in styles for i in style.split(",")]


def test_map_draws_an_edge_per_seam_and_caller_with_the_seams_call_count(
    recorded_app: LayeredApp,
) -> None:
    """Modules are nodes, callers outside the boundaries are one node, and each edge
    carries its seam's calls over all tests; nothing is highlighted without --base/--report.
    order_summary is called from app.api and from a test, so it has two edges."""
    done = seamrec(recorded_app.root, "map")

    assert (0, "") == (done.returncode, done.stderr)
    assert done.stdout.startswith("flowchart LR\n")
    assert [
        (OUTSIDE, "get_orders", 1, "app.api"),
        (OUTSIDE, "get_profile", 2, "app.api"),
        ("app.service", "get_user", 4, "app.repo"),
        ("app.service", "order_rows", 2, "app.repo"),
        ("app.api", "order_summary", 2, "app.service"),
        (OUTSIDE, "order_summary", 2, "app.service"),
        ("app.api", "profile", 2, "app.service"),
    ] == edges(done.stdout)
    assert 7 == done.stdout.count("-->")
    assert [] == highlighted(done.stdout)


def test_map_format_markdown_wraps_the_same_graph_in_a_mermaid_block(
    recorded_app: LayeredApp,
) -> None:
    """The Markdown form is the text form inside a ```mermaid fence."""
    text = seamrec(recorded_app.root, "map")
    markdown = seamrec(recorded_app.root, "map", "--format", "markdown")

    assert 0 == markdown.returncode
    assert f"```mermaid\n{text.stdout}```\n" == markdown.stdout


def test_map_base_highlights_the_seam_whose_key_was_renamed(recorded_app: LayeredApp) -> None:
    """`--base HEAD` adds one linkStyle line for the edge of the changed seam only."""
    commit_all(recorded_app.root, "recorded")
    rename_email_and_record(recorded_app)

    done = seamrec(recorded_app.root, "map", "--base", "HEAD")

    assert 0 == done.returncode
    assert ["get_user"] == highlighted(done.stdout)
    assert "  linkStyle 2 stroke:#d73a49,stroke-width:3px,color:#d73a49\n" in done.stdout


def test_map_report_highlights_the_seam_a_checking_run_found_drifted(
    recorded_app: LayeredApp,
) -> None:
    """The JSON of `pytest --check-seams --seams-report` after a drift marks that seam."""
    recorded_app.edit("app/repo.py", '"email": email', '"email_address": email')
    recorded_app.check("--seams-report=r.json").assert_outcomes(passed=1, failed=3)

    done = seamrec(recorded_app.root, "map", "--report", "r.json")

    assert 0 == done.returncode
    assert ["get_user"] == highlighted(done.stdout)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "FileNotFoundError"),
        ("not json", "JSONDecodeError"),
        ('{"title": "x"}', "KeyError: 'seams'"),
        ('{"seams": [1]}', "TypeError"),
    ],
    ids=["missing", "not-json", "no-seams", "bad-seams"],
)
def test_map_report_that_is_no_seamrec_report_is_a_one_line_error(
    layered_app: LayeredApp, content: str | None, problem: str
) -> None:
    """The error names the file, what is wrong with it and how to write a good one."""
    if content is not None:
        layered_app.write("bad.json", content)

    done = seamrec(layered_app.root, "map", "--report", "bad.json")

    line = assert_usage_error(done, "--report bad.json: not a seamrec JSON report", problem)
    assert line.endswith("write one with pytest --check-seams --seams-report=seams.json")
