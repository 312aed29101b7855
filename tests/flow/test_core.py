"""The pure interpreter rules, without any executor."""

from __future__ import annotations

from typing import Any

import pytest

from xaas_parsl.flow.core import (
    FlowError,
    can_handle,
    choose,
    compare,
    get_path,
    loop_items,
    map_items,
    map_output,
    next_state,
    set_path,
)
from xaas_parsl.flow.model import Call, Case, Map, Retry, Scope, Switch, Task

BODY = Scope("t", {"t": Task("t", Call("echo"))})


def test_get_path_dotted_and_list_index() -> None:
    payload = {"a": {"b": [10, {"c": 3}]}}
    assert get_path(payload, "a.b.1.c") == 3
    assert get_path(payload, "a.b.0") == 10
    with pytest.raises(FlowError, match=r"payload has no 'a\.x'"):
        get_path(payload, "a.x.y")
    with pytest.raises(FlowError):
        get_path(payload, "a.b.7")


def test_set_path_copies_along_the_path_only() -> None:
    shared = {"big": list(range(3))}
    payload = {"a": {"b": 1}, "other": shared}
    out = set_path(payload, "a.b", 2)
    assert out == {"a": {"b": 2}, "other": shared}
    assert payload["a"]["b"] == 1  # unchanged
    assert out["other"] is shared  # not copied
    assert set_path({}, "x.y", [1]) == {"x": {"y": [1]}}
    assert set_path({"l": [0, {"k": 1}]}, "l.1.k", 5) == {"l": [0, {"k": 5}]}
    with pytest.raises(FlowError, match="not an object"):
        set_path("text", "a", 1)


@pytest.mark.parametrize(("left", "op", "right", "expected"), [
    (3, "<", 5, True), (5, "<=", 5, True), (5.0, "==", 5, True), (2, "!=", 2.5, True),
    (10, ">=", 9.5, True), (10, ">", 10, False),
    ("B", "<", "a", True),            # code point order: uppercase before lowercase
    ("abc", "==", "abc", True), ("abc", "!=", "ABC", True), ("b", ">", "abc", True),
    ("10", "<", 9, False),            # a string is not a number: no match, whatever the op
    ("5", "==", 5, False), ("5", "!=", 5, False), (5, "!=", "5", False),
    (True, "==", 1, False),           # booleans are not numbers
    (None, "!=", "x", False),
])
def test_compare_numbers_numerically_strings_by_code_point(left: Any, op: Any, right: Any,
                                                           expected: bool) -> None:
    assert compare(left, op, right) is expected


def test_switch_first_match_wins_else_default() -> None:
    switch = Switch("s", (Case("x.n", ">", 10, "big"), Case("x.n", ">", 5, "medium"),
                          Case("x.name", "!=", "skip", "named")), "small")
    assert choose(switch, {"x": {"n": 20, "name": "skip"}}) == "big"
    assert choose(switch, {"x": {"n": 7, "name": "skip"}}) == "medium"
    assert choose(switch, {"x": {"n": 1, "name": "go"}}) == "named"
    assert choose(switch, {"x": {"n": 1, "name": "skip"}}) == "small"
    assert next_state(switch, {"x": {"n": 1, "name": "skip"}}) == "small"
    with pytest.raises(FlowError, match="payload has no 'x'"):
        choose(switch, {})


def test_map_items_bare_and_with_common_params_keyed_literally() -> None:
    bare = Map("m", "xs", BODY, "xs")
    assert map_items(bare, {"xs": [1, 2]}) == [1, 2]
    with_params = Map("m", "xs", BODY, "xs", ("a.b", "c"))
    payload = {"xs": [1, 2], "a": {"b": "deep"}, "c": 3}
    assert map_items(with_params, payload) == [
        {"array_element": 1, "a.b": "deep", "c": 3},
        {"array_element": 2, "a.b": "deep", "c": 3}]
    assert map_items(with_params, {"xs": [], "a": {"b": 1}, "c": 1}) == []
    with pytest.raises(FlowError, match="not a list"):
        map_items(bare, {"xs": {"a": 1}})
    with pytest.raises(FlowError, match="payload has no 'a'"):
        map_items(with_params, {"xs": [1], "c": 1})


def test_map_output_writes_to_array_or_result() -> None:
    payload = {"xs": [1, 2], "keep": True}
    assert map_output(Map("m", "xs", BODY, "xs"), payload, [2, 4]) == {"xs": [2, 4],
                                                                      "keep": True}
    assert map_output(Map("m", "xs", BODY, "out.r"), payload, [2, 4]) == {
        "xs": [1, 2], "keep": True, "out": {"r": [2, 4]}}


def test_next_state_and_failure_targets() -> None:
    task = Task("t", Call("f"), next="n", failure="comp")
    plain = Task("u", Call("f"), next="n")
    assert next_state(task, {}) == "n"
    assert next_state(task, {}, failed=True) == "comp"
    assert can_handle(task) and not can_handle(plain)
    with pytest.raises(FlowError):
        next_state(plain, {}, failed=True)
    assert next_state(Task("end", Call("f")), {}) is None


def test_loop_items_and_retry_delays() -> None:
    assert loop_items("a", {"a": [3, 4]}) == [3, 4]
    retry = Retry(max_attempts=4, interval_s=0.5, backoff_rate=2.0)
    assert [retry.delay(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
