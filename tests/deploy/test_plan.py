"""``deploy.plan``: the node a plan is made for, and what it names per ISA family."""

from __future__ import annotations

from tests.conftest import HEAT2D
from xaas_parsl.deploy.plan import choose_configs, deployment_plan, site_system
from xaas_parsl.descriptor import load_app
from xaas_parsl.discovery.load import system_from_data


def test_alps_node_as_site_yaml_states_it() -> None:
    info = system_from_data(site_system("alps"), "alps")
    assert (info.cpu.architecture, info.cpu.microarchitecture) == ("aarch64", "neoverse-v2")
    assert {"asimd", "sve", "sve2"} <= set(info.cpu.flags) and info.cpu.flags_complete
    assert info.cpu.sve_vector_bits is None  # not stated: NEON over SVE (the SIMD rules)
    assert info.cpu.logical_cores == 288 and info.source == "site:alps"


def test_x86_node_without_a_stated_cpu_is_planned_for_the_baseline() -> None:
    from xaas_parsl.containers.images import base_images

    app = load_app(HEAT2D / "app.yaml")
    system = site_system("ault")  # ault states no microarchitecture: nothing to tune for
    chosen = choose_configs(app, system)
    configs = {"chosen": chosen["configuration"], "portable": chosen["portable"]}
    plan = deployment_plan(app, system, configs, "container", "ault")
    assert (plan["arch"], plan["triple"]) == ("x86_64", "x86_64-linux-gnu")
    assert plan["roles"]["chosen"]["cpu_flags"] == [] and plan["roles"]["chosen"]["cpu"] is None
    bases = base_images()
    assert plan["images"] == {"ir": "heat2d-ir:1.0.0", "platform": "linux/amd64",
                              "toolchain": bases["toolchain"].ref,
                              "runtime": bases["runtime"].ref}
    assert plan["export"] == "sarus"  # ault runs Sarus: the export it imports


def test_alps_plan_tunes_the_chosen_role_only() -> None:
    app = load_app(HEAT2D / "app.yaml")
    system = site_system("alps")
    chosen = choose_configs(app, system)
    assert (chosen["configuration"], chosen["portable"]) == ("OPENMP+ARM_NEON_ASIMD", "None")
    plan = deployment_plan(app, system, {"chosen": chosen["configuration"],
                                         "portable": chosen["portable"]}, "ir", "alps")
    assert plan["roles"]["chosen"]["cpu_flags"] == ["-mcpu=neoverse-v2+nosve"]
    assert plan["roles"]["portable"] == {"configuration": "None", "cpu": None, "cpu_flags": []}
    assert plan["bundle"]["configs"] == ["None", "OPENMP+ARM_NEON_ASIMD"]
    assert plan["images"]["ir"] == "heat2d-ir:1.0.0-aarch64" and plan["export"] == "edf"
