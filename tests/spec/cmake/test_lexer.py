"""The CMake tokenizer/parser: every construct of cmake-language(7) we rely on, and bad input."""

from __future__ import annotations

import pytest

from xaas_parsl.errors import InputError
from xaas_parsl.spec.cmake.blocks import IfNode, LoopNode, compile_nodes
from xaas_parsl.spec.cmake.lexer import CMakeSyntaxError, parse


def test_commands_are_lower_cased_with_lines_and_kinds() -> None:
    cmds = parse('SET(x "a b" [[c]] d)\n\nMessage(STATUS hi)\n', "f.cmake")
    assert [c.name for c in cmds] == ["set", "message"]
    assert [(a.text, a.kind) for a in cmds[0].args] == [
        ("x", "unquoted"), ("a b", "quoted"), ("c", "bracket"), ("d", "unquoted")]
    assert cmds[1].line == 3 and cmds[1].where == "f.cmake:3"


def test_comments_line_and_bracket_are_dropped() -> None:
    text = "# a comment\n#[[ bracket\ncomment ]] set(a 1) # trailing\n#[==[ x ]] ]==]\nset(b 2)\n"
    cmds = parse(text)
    assert [(c.name, c.args[0].text, c.line) for c in cmds] == [("set", "a", 3), ("set", "b", 5)]


def test_bracket_argument_with_equals_and_first_newline_dropped() -> None:
    (cmd,) = parse("message([==[\nkeeps ]] and [[ inside]==])")
    assert cmd.args[0].text == "keeps ]] and [[ inside"
    assert cmd.args[0].kind == "bracket"


def test_quoted_argument_keeps_escapes_and_continuations_for_the_evaluator() -> None:
    (cmd,) = parse('set(x "a \\"q\\" \\\nb ${y}")')
    assert cmd.args[1].text == 'a \\"q\\" \\\nb ${y}'


def test_nested_parentheses_become_their_own_arguments() -> None:
    (cmd,) = parse("if((A OR B) AND NOT (C))")
    assert [a.text for a in cmd.args] == ["(", "A", "OR", "B", ")", "AND", "NOT", "(", "C", ")"]


def test_unquoted_legacy_quotes_and_references() -> None:
    (cmd,) = parse('set(x -DFOO="a b" ${A}/$ENV{HOME}/$CACHE{C} $(MAKEVAR))')
    assert [a.text for a in cmd.args[1:]] == [
        '-DFOO="a b"', "${A}/$ENV{HOME}/$CACHE{C}", "$(MAKEVAR)"]


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("set(a 1)\nif(A\nset(b 2)\n", 2, "unbalanced parentheses"),
    ('set(a 1)\n\nset(b "never closed)\n', 3, "unterminated quoted argument"),
    ("message([==[ open\n", 1, "unterminated bracket argument"),
    ("set(a 1)\n#[[ open comment\n", 2, "unterminated bracket comment"),
    ("set(a 1) set(b 2)\n", 1, "expected a newline"),
    ("set(a 1)\n(oops)\n", 2, "expected a command invocation"),
])
def test_syntax_errors_name_file_and_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(CMakeSyntaxError) as exc:
        parse(text, "dir/CMakeLists.txt")
    assert isinstance(exc.value, InputError)
    assert exc.value.path == f"dir/CMakeLists.txt:{line}"
    assert problem in exc.value.problem


def test_flow_control_is_nested_and_mismatches_are_errors() -> None:
    nodes = compile_nodes(parse("if(A)\nforeach(x a b)\nendforeach()\nelseif(B)\nelse()\nendif()"))
    assert isinstance(nodes[0], IfNode)
    assert [h.name for h, _b in nodes[0].branches] == ["if", "elseif", "else"]
    assert isinstance(nodes[0].branches[0][1][0], LoopNode)
    with pytest.raises(CMakeSyntaxError, match="never closed") as exc:
        compile_nodes(parse("set(a 1)\nif(A)\nset(b 2)\n", "x.cmake"))
    assert exc.value.path == "x.cmake:2"
    with pytest.raises(CMakeSyntaxError, match="without a matching") as exc:
        compile_nodes(parse("endforeach()\n", "y.cmake"))
    assert exc.value.path == "y.cmake:1"
