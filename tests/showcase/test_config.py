"""The showcase settings: the workflow's file is complete and valid, bad values are named."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_yaml
from xaas_parsl.showcase.config import DEFAULT_CONFIG, ShowcaseConfig, from_dict, load_config


def test_workflow_config_names_every_setting_and_loads() -> None:
    data = load_yaml(DEFAULT_CONFIG)
    # site: the Snakemake profiles set it (default local); results: Snakemake only
    assert set(data) - {"results"} == {f.name for f in fields(ShowcaseConfig)} - {"site"}
    cfg = load_config()
    assert cfg.site == "local" and cfg.deploy == "auto" and cfg.flare_size == 8


def test_overrides_from_snakemake_strings() -> None:
    cfg = load_config(flare_size="16", deploy="native")
    assert cfg.flare_size == 16 and cfg.deploy == "native"


@pytest.mark.parametrize(("data", "needle"), [
    ({"flare_size": 0}, "flare_size must be a positive integer, got 0"),
    ({"rounds": "many"}, "rounds must be a positive integer, got 'many'"),
    ({"deploy": "podman"}, "deploy must be one of auto, container, native"),
    ({"flow_size": "huge"}, "flow_size must be one of test, small, large"),
    ({"site": "lumi"}, "unknown site 'lumi': known sites are alps, ault, aurora, local"),
    ({"grdi": 4}, "unknown showcase setting 'grdi'"),
])
def test_bad_settings(data: dict[str, object], needle: str) -> None:
    with pytest.raises(InputError, match=needle.replace("(", r"\(")):
        from_dict(data, "config.yaml")


def test_a_config_that_is_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("- 1\n")
    with pytest.raises(InputError, match="a showcase config must be a mapping"):
        load_config(bad)
