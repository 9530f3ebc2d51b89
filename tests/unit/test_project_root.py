"""The project root is found one way: the nearest directory at or above the start with a
pyproject.toml or another pytest configuration file (the CLI and `assert_matches`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamrec.config import find_project_root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.seamrec]\n")
    (tmp_path / "src" / "app").mkdir(parents=True)
    return tmp_path


def test_the_nearest_pyproject_above_the_start_marks_the_root(project: Path) -> None:
    assert project == find_project_root(project / "src" / "app")


def test_the_start_itself_can_be_the_root(project: Path) -> None:
    assert project == find_project_root(project)


@pytest.mark.parametrize("name", ["pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"])
def test_a_nearer_pytest_configuration_file_marks_the_root_too(project: Path, name: str) -> None:
    (project / "src" / name).write_text("")

    assert project / "src" == find_project_root(project / "src" / "app")


def test_a_folder_named_like_a_configuration_file_does_not_count(project: Path) -> None:
    (project / "src" / "pyproject.toml").mkdir()

    assert project == find_project_root(project / "src" / "app")
