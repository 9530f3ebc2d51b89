"""seamrec.config: reading and validating the [tool.seamrec] table."""

from pathlib import Path

import pytest

from seamrec.config import (
    Limits,
    SeamPattern,
    Settings,
    check_importable,
    load_settings,
    settings_from_table,
)
from seamrec.exceptions import ConfigError


def write_pyproject(folder: Path, text: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(table: dict[str, object], rootdir: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        settings_from_table(table, rootdir=rootdir)
    return info.value


# ------------------------------------------------------------------ load_settings


def test_defaults_when_there_is_no_pyproject(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)

    assert Settings(rootdir=tmp_path, cassette_dir=tmp_path / "cassettes") == settings
    assert ((), (), ()) == (settings.boundaries, settings.seams, settings.exclude)
    assert settings.source is None


def test_defaults_when_pyproject_has_no_seamrec_table(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[project]\nname = "x"\n\n[tool.other]\na = 1\n')

    settings = load_settings(tmp_path)

    assert (tmp_path / "cassettes").resolve() == settings.cassette_dir
    assert ((), (), ()) == (settings.boundaries, settings.seams, settings.exclude)
    assert Limits() == settings.limits
    assert path == settings.source


def test_reads_every_key_of_the_seamrec_table(tmp_path: Path) -> None:
    path = write_pyproject(
        tmp_path,
        "[tool.seamrec]\n"
        'boundaries = ["shop", "billing.core"]\n'
        'seams = ["shop.notify:NotificationService.send_*"]\n'
        'exclude = ["shop.api:handle"]\n'
        'cassette_dir = "recorded/seams"\n'
        "payload_calls = 3\nmax_depth = 8\nmax_items = 50\nmax_str = 100\n",
    )

    settings = load_settings(tmp_path)

    assert ("shop", "billing.core") == settings.boundaries
    assert (
        SeamPattern(
            "shop.notify:NotificationService.send_*", "shop.notify", "NotificationService.send_*"
        ),
    ) == settings.seams
    assert (SeamPattern("shop.api:handle", "shop.api", "handle"),) == settings.exclude
    assert (tmp_path / "recorded" / "seams").resolve() == settings.cassette_dir
    assert Limits(payload_calls=3, max_depth=8, max_items=50, max_str=100) == settings.limits
    assert path == settings.source


def test_unknown_key_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool.seamrec]\nboundary = ["shop"]\n')

    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)

    assert "boundary" == info.value.key
    assert path == info.value.path
    assert f"{path}: [tool.seamrec] boundary: unknown key" in str(info.value)
    assert "boundaries" in str(info.value)  # the known keys are listed


@pytest.mark.parametrize(
    "text",
    [
        "[tool.seamrec\nboundaries = []\n",
        '[tool.seamrec]\nboundaries = ["shop"\n',
        "[tool.seamrec]\nmax_depth = \n",
        "[tool.seamrec]\nmax_depth = 1\nmax_depth = 2\n",
    ],
    ids=["unclosed-table", "unclosed-array", "missing-value", "duplicate-key"],
)
def test_invalid_toml_is_a_config_error_naming_the_file(tmp_path: Path, text: str) -> None:
    path = write_pyproject(tmp_path, text)

    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)

    assert path == info.value.path
    assert str(info.value).startswith(f"{path}: ")
    assert "not valid TOML" in str(info.value)


def test_pyproject_that_is_not_utf8_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'[tool.seamrec]\nboundaries = ["sh\xffop"]\n')

    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)

    assert path == info.value.path


def test_seamrec_that_is_not_a_table_is_a_config_error(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool]\nseamrec = "shop"\n')

    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)

    assert "shop" == info.value.value
    assert path == info.value.path
    assert "must be a table" in str(info.value)


def test_tool_that_is_not_a_table_is_a_config_error(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, 'tool = "seamrec"\n')

    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)

    assert path == info.value.path


# ----------------------------------------------------------- settings_from_table


@pytest.mark.parametrize("key", ["boundaries", "seams", "exclude"])
@pytest.mark.parametrize("value", ["shop", ["shop", 3], [""], {"a": "shop"}, None])
def test_list_option_of_the_wrong_type_names_key_and_value(
    tmp_path: Path, key: str, value: object
) -> None:
    error = config_error({key: value}, tmp_path)

    assert key == error.key
    assert value == error.value
    assert f"[tool.seamrec] {key}: must be a list of non-empty strings" in str(error)


@pytest.mark.parametrize(
    ("key", "value", "low"),
    [
        ("max_depth", "32", 2),
        ("max_items", "100", 1),
        ("payload_calls", True, 1),
        ("max_str", False, 16),
        ("max_depth", -1, 2),
        ("payload_calls", 0, 1),
        ("max_items", -5, 1),
        ("max_str", 15, 16),
        ("max_depth", 1, 2),
        ("max_items", 2.0, 1),
        ("max_str", [2048], 16),
    ],
)
def test_int_option_of_the_wrong_type_or_too_small_names_key_and_value(
    tmp_path: Path, key: str, value: object, low: int
) -> None:
    error = config_error({key: value}, tmp_path)

    assert key == error.key
    assert value == error.value
    assert type(value) is type(error.value)
    assert f"[tool.seamrec] {key}: must be an integer >= {low}" in str(error)


def test_int_options_accept_their_lowest_value(tmp_path: Path) -> None:
    table = {"payload_calls": 1, "max_depth": 2, "max_items": 1, "max_str": 16}

    settings = settings_from_table(table, rootdir=tmp_path)

    assert Limits(payload_calls=1, max_depth=2, max_items=1, max_str=16) == settings.limits


@pytest.mark.parametrize("value", ["", "   ", 5, ["cassettes"], None])
def test_cassette_dir_that_is_not_a_non_empty_string_names_key_and_value(
    tmp_path: Path, value: object
) -> None:
    error = config_error({"cassette_dir": value}, tmp_path)

    assert "cassette_dir" == error.key
    assert value == error.value


def test_config_error_from_a_table_names_the_pyproject_path(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"

    with pytest.raises(ConfigError) as info:
        settings_from_table({"max_depth": "deep"}, rootdir=tmp_path, path=path)

    assert f"{path}: [tool.seamrec] max_depth: must be an integer >= 2 (got 'deep')" == str(
        info.value
    )
    assert path == info.value.path


def test_table_that_is_not_a_mapping_is_a_config_error(tmp_path: Path) -> None:
    error = config_error(["shop"], tmp_path)  # type: ignore[arg-type]

    assert "*" == error.key
    assert ["shop"] == error.value


@pytest.mark.parametrize("boundary", ["shop-api", "shop/api", "shop.*", "shop api", "shop:api"])
def test_boundary_that_is_not_a_dotted_name_names_key_and_value(
    tmp_path: Path, boundary: str
) -> None:
    error = config_error({"boundaries": ["shop", boundary]}, tmp_path)

    assert "boundaries" == error.key
    assert boundary == error.value
    assert "is not a dotted module or package name" in str(error)


@pytest.mark.parametrize("key", ["record_types", "opaque_types"])
@pytest.mark.parametrize("name", ["flask:Flask", "shop.*", "shop api", "shop."])
def test_type_override_that_is_not_a_type_path_names_key_and_value(
    tmp_path: Path, key: str, name: str
) -> None:
    error = config_error({key: ["flask", name]}, tmp_path)

    assert key == error.key
    assert name == error.value
    assert "is not a type path or module prefix" in str(error)


def test_type_overrides_are_read(tmp_path: Path) -> None:
    table = {"record_types": ["flask.config.Config"], "opaque_types": ["shop.models"]}

    settings = settings_from_table(table, rootdir=tmp_path)

    assert (("flask.config.Config",), ("shop.models",)) == (
        settings.record_types,
        settings.opaque_types,
    )


@pytest.mark.parametrize("key", ["seams", "exclude"])
@pytest.mark.parametrize("text", ["shop.api", "shop.api:", ":handle", "shop.api.handle"])
def test_seam_pattern_without_module_colon_qualname_names_key_and_value(
    tmp_path: Path, key: str, text: str
) -> None:
    error = config_error({key: [text]}, tmp_path)

    assert key == error.key
    assert text == error.value
    assert "is not of the form 'package.module:Qualname'" in str(error)


def test_cassette_dir_is_resolved_against_the_rootdir(tmp_path: Path) -> None:
    settings = settings_from_table({"cassette_dir": "a/../b"}, rootdir=tmp_path)

    assert (tmp_path / "b").resolve() == settings.cassette_dir


# -------------------------------------------------------------------- SeamPattern


def test_seam_pattern_parse_splits_module_and_qualname() -> None:
    pattern = SeamPattern.parse("shop.repo*:OrderRepo.get_*", key="seams")

    assert SeamPattern("shop.repo*:OrderRepo.get_*", "shop.repo*", "OrderRepo.get_*") == pattern


def test_seam_pattern_parse_error_carries_key_value_and_path(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"

    with pytest.raises(ConfigError) as info:
        SeamPattern.parse("shop.api", key="exclude", path=path)

    assert ("exclude", "shop.api", path) == (info.value.key, info.value.value, info.value.path)


@pytest.mark.parametrize(
    ("module", "qualname", "expected"),
    [
        ("shop.repository", "OrderRepo.get_order", True),
        ("shop.repository", "OrderRepo.get_total", True),
        ("shop.repo", "OrderRepo.get_order", True),
        ("shop.repository", "OrderRepo.insert_order", False),
        ("shop.repository", "UserRepo.get_user", False),
        ("shop.api", "OrderRepo.get_order", False),
        ("billing.repository", "OrderRepo.get_order", False),
    ],
)
def test_seam_pattern_matches_module_and_qualname_globs(
    module: str, qualname: str, expected: bool
) -> None:
    pattern = SeamPattern.parse("shop.repo*:OrderRepo.get_*", key="seams")

    assert expected == pattern.matches(module, qualname)


def test_seam_pattern_matches_module_ignores_the_qualname() -> None:
    pattern = SeamPattern.parse("shop.*:Never", key="seams")

    assert (True, False) == (pattern.matches_module("shop.api"), pattern.matches_module("shop"))


# ------------------------------------------------------ Settings.is_seam & scope


def settings(tmp_path: Path, **table: object) -> Settings:
    return settings_from_table(table, rootdir=tmp_path)


@pytest.mark.parametrize(
    ("module", "qualname", "expected"),
    [
        ("shop", "handle", True),
        ("shop.api", "handle", True),
        ("shop.api.v2", "Services.create", True),
        ("shop.api", "_int_field", False),
        ("shop.api", "Services._wire", False),
        ("shop.api", "_Private.method", False),
        ("shop.api", "Services.__init__", False),
        ("shop.api", "Outer._Inner.method", False),
        ("shopping", "handle", False),
        ("myshop.api", "handle", False),
        ("billing", "handle", False),
    ],
)
def test_boundaries_make_public_callables_of_the_package_seams(
    tmp_path: Path, module: str, qualname: str, expected: bool
) -> None:
    assert expected == settings(tmp_path, boundaries=["shop"]).is_seam(module, qualname)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("shop", True),
        ("shop.api", True),
        ("shop.api.deep", True),
        ("shopping", False),
        ("billing.core", True),
        ("billing", False),
        ("billing.core_extra", False),
        ("notify.email", True),
        ("notify", False),
        ("other", False),
    ],
)
def test_module_in_scope_follows_boundaries_and_seam_modules(
    tmp_path: Path, module: str, expected: bool
) -> None:
    config = settings(tmp_path, boundaries=["shop", "billing.core"], seams=["notify.*:send"])

    assert expected == config.module_in_scope(module)


def test_exclude_does_not_take_a_module_out_of_scope(tmp_path: Path) -> None:
    config = settings(tmp_path, boundaries=["shop"], exclude=["shop.api:*"])

    assert (True, False) == (config.module_in_scope("shop.api"), config.is_seam("shop.api", "h"))


@pytest.mark.parametrize(
    ("module", "qualname", "expected"),
    [
        ("shop.notify", "NotificationService.send_email", True),
        ("shop.notify", "NotificationService.send_", True),
        ("shop.notify", "NotificationService.resend_email", False),
        ("shop.notify", "NotificationService.queue", False),
        ("shop.notifications", "NotificationService.send_email", False),
        ("shop.repository", "OrderRepo._raw_fetch", True),
        ("shop.repository", "OrderRepo.get_order", False),
        ("billing.v1", "charge", True),
        ("billing.v12", "charge", True),
        ("billing.v1", "refund", False),
    ],
)
def test_explicit_seam_patterns_with_globs(
    tmp_path: Path, module: str, qualname: str, expected: bool
) -> None:
    config = settings(
        tmp_path,
        seams=[
            "shop.notify:NotificationService.send_*",
            "shop.repository:OrderRepo._raw_*",
            "billing.v?*:charge",
        ],
    )

    assert expected == config.is_seam(module, qualname)


def test_explicit_seam_pattern_can_name_a_private_callable_inside_a_boundary(
    tmp_path: Path,
) -> None:
    config = settings(tmp_path, boundaries=["shop"], seams=["shop.api:_int_field"])

    assert (True, False) == (
        config.is_seam("shop.api", "_int_field"),
        config.is_seam("shop.api", "_line_item"),
    )


@pytest.mark.parametrize(
    ("module", "qualname", "expected"),
    [
        ("shop.api", "handle", False),
        ("shop.api", "route", True),
        ("shop.db", "open_db", False),
        ("shop.db", "migrate", True),
        ("shop.services", "UserService.debug_dump", False),
        ("shop.services", "UserService.register", True),
        ("shop.notify", "NotificationService.send_email", False),
    ],
)
def test_exclude_removes_seams_named_by_boundaries_or_patterns(
    tmp_path: Path, module: str, qualname: str, expected: bool
) -> None:
    config = settings(
        tmp_path,
        boundaries=["shop"],
        seams=["shop.notify:NotificationService.send_*"],
        exclude=[
            "shop.api:handle",
            "shop.db:open_*",
            "shop.*:*.debug_*",
            "shop.notify:*.send_email",
        ],
    )

    assert expected == config.is_seam(module, qualname)


# ---------------------------------------------------------------- check_importable


def test_importable_boundaries_and_patterns_pass(tmp_path: Path) -> None:
    config = settings(
        tmp_path,
        boundaries=["seamrec", "json"],
        seams=["seamrec.model.codec:make_*", "*:anything", "seamrec.*:x"],
        exclude=["json.decoder:*"],
    )

    check_importable(config)


def test_boundary_that_cannot_be_imported_names_key_and_module(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    config = settings_from_table(
        {"boundaries": ["json", "no_such_pkg_seamrec_test"]}, rootdir=tmp_path, path=path
    )

    with pytest.raises(ConfigError) as info:
        check_importable(config)

    assert ("boundaries", "no_such_pkg_seamrec_test") == (info.value.key, info.value.value)
    assert path == info.value.path
    assert (
        f"{path}: [tool.seamrec] boundaries: names module 'no_such_pkg_seamrec_test', "
        "which cannot be imported"
    ) in str(info.value)


def test_boundary_submodule_that_does_not_exist_names_key_and_module(tmp_path: Path) -> None:
    config = settings(tmp_path, boundaries=["seamrec.no_such_module"])

    with pytest.raises(ConfigError) as info:
        check_importable(config)

    assert ("boundaries", "seamrec.no_such_module") == (info.value.key, info.value.value)
    assert "'seamrec.no_such_module'" in str(info.value)


@pytest.mark.parametrize("key", ["seams", "exclude"])
def test_pattern_whose_module_prefix_cannot_be_imported_names_key_and_module(
    tmp_path: Path, key: str
) -> None:
    config = settings(tmp_path, **{key: ["no_such_pkg_seamrec_test.sub*:f"]})

    with pytest.raises(ConfigError) as info:
        check_importable(config)

    assert key == info.value.key
    assert "no_such_pkg_seamrec_test.sub*" == info.value.value
    assert "names module 'no_such_pkg_seamrec_test'" in str(info.value)
