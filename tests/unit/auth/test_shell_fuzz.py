"""Property tests: analyze() never raises, and chaining or wrapping never hides a command."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.auth.shell import ShellAnalysis, analyze
from agents.auth.shell_words import decode_word

# The autouse data-dir fixture in tests/conftest.py is function scoped but irrelevant here.
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

BASH_TOKENS = [
    "rm",
    "ls",
    "-rf",
    "/",
    " ",
    ";",
    "&&",
    "||",
    "|",
    "&",
    "\n",
    "$(",
    "`",
    ")",
    "(",
    "{",
    "}",
    "'",
    '"',
    "\\",
    "$'\\x72'",
    "<<EOF",
    "\nEOF\n",
    "<<'EOF'",
    "<<-EOF",
    "<<<",
    ">",
    ">>",
    "2>&1",
    "<(",
    ">(",
    "${IFS}",
    "$X",
    "${X:-rm}",
    "*",
    "?",
    "~",
    "X=1",
    "PATH=/tmp",
    "bash",
    "-c",
    "sudo",
    "env",
    "eval",
    "time",
    "timeout",
    "5",
    "xargs",
    "#",
    "find",
    "-exec",
    "\\;",
    "git",
    "-c",
    "core.pager=x",
    "sed",
    "s/a/b/e",
    "awk",
    "{system(1)}",
    "if",
    "then",
    "else",
    "fi",
    "for",
    "in",
    "do",
    "done",
    "while",
    "case",
    "esac",
    "$((1))",
    "!",
    "[[",
    "]]",
    "f()",
    "'a b'",
    '"$(id)"',
    "\t",
    "=",
    "/dev/tcp/h/1",
    "$'\\0'",
    "\\\n",
]


def check_invariants(command: str, result: ShellAnalysis) -> None:
    assert isinstance(result, ShellAnalysis)
    assert result.source == command
    assert result.parsed or result.concerns, "an unparsed command must say why"
    for cmd in result.commands:
        assert isinstance(cmd.program, str)
        assert all(isinstance(arg, str) for arg in cmd.argv)
        assert cmd.program == "" or cmd.argv, cmd


@FUZZ
@given(st.text())
def test_analyze_never_raises_on_arbitrary_text(command: str) -> None:
    check_invariants(command, analyze(command))


@FUZZ
@given(st.lists(st.sampled_from(BASH_TOKENS), max_size=16), st.sampled_from(["", " "]))
def test_analyze_never_raises_on_bash_like_text(tokens: list[str], glue: str) -> None:
    command = glue.join(tokens)
    check_invariants(command, analyze(command))


@FUZZ
@given(st.text())
def test_decode_word_never_raises(raw: str) -> None:
    word = decode_word(raw)
    assert isinstance(word.text, str)


PROGRAMS = ["ls", "cat", "rm", "git", "chmod"]
ARGS = st.lists(st.from_regex(r"[a-z0-9./-]{1,6}", fullmatch=True), max_size=3)
SPELLINGS = ["{p}", "'{p}'", '"{p}"', "\\{p}", "{h}''{t}", "/usr/bin/{p}"]
WRAPPERS = ["", "sudo ", "timeout 5 ", "env X=1 ", "nice -n 1 ", "command ", "nohup ", "xargs "]
#: Each form places one simple command somewhere; the programs it should yield, in order.
FORMS = [
    ("{c}", []),
    ("( {c} )", []),
    ("{{ {c}; }}", []),
    ("echo $({c})", ["echo"]),
    ("echo `{c}`", ["echo"]),
    ("bash -c '{c}'", ["bash"]),
    ("if true; then {c}; fi", ["true"]),
    ("for i in 1; do {c}; done", []),
    ("cat <({c})", ["cat"]),
]
SEPARATORS = [" && ", " || ", "; ", " | ", "\n", " & ", " |& "]


@st.composite
def segments(draw: st.DrawFn) -> tuple[str, list[str]]:
    program = draw(st.sampled_from(PROGRAMS))
    spelling = draw(st.sampled_from(SPELLINGS))
    word = spelling.format(p=program, h=program[0], t=program[1:])
    wrapper = draw(st.sampled_from(WRAPPERS))
    args = " ".join(draw(ARGS))
    form, before = draw(st.sampled_from(FORMS))
    command = form.format(c=f"{wrapper}{word} {args}".rstrip())
    return command, [*before, program]


@FUZZ
@given(st.lists(segments(), min_size=1, max_size=5), st.data())
def test_chaining_and_wrapping_never_hide_a_command(
    parts: list[tuple[str, list[str]]], data: st.DataObject
) -> None:
    command = parts[0][0]
    for text, _ in parts[1:]:
        command += data.draw(st.sampled_from(SEPARATORS)) + text
    result = analyze(command)
    assert result.parsed, result.concerns
    expected = [program for _, programs in parts for program in programs]
    assert [c.program for c in result.commands] == expected
