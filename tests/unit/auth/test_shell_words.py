"""analyze() on words, wrappers, assignments and redirections (bypass classes 3, 4, 6, 7)."""

from __future__ import annotations

import pytest

from agents.auth.shell import Redirect, ShellAnalysis, SimpleCommand, analyze


def parsed(command: str) -> ShellAnalysis:
    result = analyze(command)
    assert result.parsed, result.concerns
    return result


def only(command: str) -> SimpleCommand:
    """The single top-level command of `command` (nested ones may follow it)."""
    top = [c for c in parsed(command).commands if not c.nested]
    assert len(top) == 1, top
    return top[0]


# --- class 3 and 4: wrappers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "argv", "wrappers"),
    [
        (
            "sudo env X=1 timeout 5 nice rm -rf /",
            ("rm", "-rf", "/"),
            ("sudo", "env", "timeout", "nice"),
        ),
        ("env -i -u HOME -- rm x", ("rm", "x"), ("env",)),
        ("timeout -s KILL -k 5 10s rm x", ("rm", "x"), ("timeout",)),
        ("timeout --preserve-status 5 rm", ("rm",), ("timeout",)),
        ("nice -n 5 rm", ("rm",), ("nice",)),
        ("nice -5 rm", ("rm",), ("nice",)),
        ("ionice -c 3 -n7 rm", ("rm",), ("ionice",)),
        ("nohup rm x", ("rm", "x"), ("nohup",)),
        ("stdbuf -oL -e0 rm", ("rm",), ("stdbuf",)),
        ("time -p rm x", ("rm", "x"), ("time",)),
        ("time rm x | cat", ("rm", "x"), ("time",)),
        ("command -p rm x", ("rm", "x"), ("command",)),
        ("builtin echo x", ("echo", "x"), ("builtin",)),
        ("exec -a name rm x", ("rm", "x"), ("exec",)),
        ("xargs -0 -n 1 -I{} rm {}", ("rm", "{}"), ("xargs",)),
        ("sudo -u root -E rm x", ("rm", "x"), ("sudo",)),
        ("doas -u root rm x", ("rm", "x"), ("doas",)),
        ("chroot /srv rm x", ("rm", "x"), ("chroot",)),
        ("unshare -r -n rm x", ("rm", "x"), ("unshare",)),
        ("setsid -f rm x", ("rm", "x"), ("setsid",)),
        ("flock -n /tmp/lock rm x", ("rm", "x"), ("flock",)),
        ("watch -x rm x", ("rm", "x"), ("watch",)),
        ("strace -f -o log rm x", ("rm", "x"), ("strace",)),
        ("ltrace rm x", ("rm", "x"), ("ltrace",)),
        ("taskset -c 0 rm x", ("rm", "x"), ("taskset",)),
        ("chrt -f 10 rm x", ("rm", "x"), ("chrt",)),
        ("caffeinate -i rm x", ("rm", "x"), ("caffeinate",)),
        ("busybox rm x", ("rm", "x"), ("busybox",)),
        ("/usr/bin/sudo rm x", ("rm", "x"), ("sudo",)),
        ("sudo FOO=1 rm x", ("rm", "x"), ("sudo",)),
    ],
)
def test_wrappers_are_unwrapped(
    command: str, argv: tuple[str, ...], wrappers: tuple[str, ...]
) -> None:
    cmd = parsed(command).commands[0]
    assert cmd.argv == argv
    assert cmd.program == argv[0]
    assert cmd.wrappers == wrappers


@pytest.mark.parametrize("command", ["sudo rm x", "doas rm x", "pkexec rm x", "su root", "sudo"])
def test_privilege_change_is_always_a_concern(command: str) -> None:
    assert "privilege change" in parsed(command).commands[0].concerns


def test_env_assignments_are_recorded() -> None:
    cmd = only("env A=1 B=2 rm x")
    assert cmd.assignments == ("A=1", "B=2")


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("command -v rm", ("command", "-v", "rm")),
        ("command -V rm", ("command", "-V", "rm")),
        ("sudo -l", ("sudo", "-l")),
        ("timeout 5", ("timeout", "5")),
        ("env", ("env",)),
        ("xargs", ("xargs",)),
    ],
)
def test_a_wrapper_that_runs_nothing_stays_the_program(command: str, argv: tuple[str, ...]) -> None:
    cmd = only(command)
    assert (cmd.program, cmd.argv, cmd.wrappers) == (argv[0], argv, ())


def test_unknown_wrapper_option_is_a_concern() -> None:
    cmd = only("timeout --bogus 5 rm x")
    assert cmd.program == "rm"
    assert any("unknown timeout option --bogus" in c for c in cmd.concerns)


def test_obfuscated_wrapper_name_is_unwrapped_and_flagged() -> None:
    cmd = only("$'\\x73udo' rm x")
    assert (cmd.program, cmd.wrappers) == ("rm", ("sudo",))
    assert any("obfuscated program name" in c for c in cmd.concerns)


def test_spoofed_wrapper_path_is_not_unwrapped() -> None:
    cmd = only("/tmp/sudo rm -rf /")
    assert (cmd.program, cmd.wrappers) == ("/tmp/sudo", ())


# --- class 4: assignments -----------------------------------------------------------------


def test_assignment_only_command_has_empty_argv() -> None:
    cmd = only("X=1")
    assert (cmd.argv, cmd.program, cmd.assignments, cmd.concerns) == ((), "", ("X=1",), ())


def test_redirect_only_command_is_recorded() -> None:
    cmd = only("> out")
    assert (cmd.argv, cmd.program) == ((), "")
    assert cmd.redirects == (Redirect(">", "out", True),)


@pytest.mark.parametrize(
    "command",
    [
        "PATH=/tmp:$PATH ls",
        "LD_PRELOAD=/tmp/x.so ls",
        "LD_LIBRARY_PATH=/tmp ls",
        "PYTHONPATH=/tmp python3 x.py",
        "BASH_ENV=/tmp/x bash x.sh",
        "ENV=/tmp/x sh x.sh",
        "IFS=/ ls",
        "PROMPT_COMMAND=x ls",
        "GIT_SSH_COMMAND='rm x' git fetch",
        "GIT_CONFIG_COUNT=1 git status",
        "PATH=/tmp",
        "export PATH=/tmp",
        "env LD_PRELOAD=/tmp/x.so ls",
        "HOME=/tmp/evil git status",
    ],
)
def test_risky_assignments_are_concerns(command: str) -> None:
    cmd = parsed(command).commands[0]
    assert any(c.startswith("sets ") for c in cmd.concerns), cmd.concerns


def test_harmless_assignment_prefix_is_recorded_without_concern() -> None:
    cmd = only("FOO='a b' ls")
    assert cmd.assignments == ("FOO=a b",)
    assert cmd.concerns == ()


# --- class 6 and 7: words and program names ------------------------------------------------


@pytest.mark.parametrize("command", ["rm x", "'rm' x", '"rm" x', "r''m x", "r\\m x", "\\rm x"])
def test_quotes_and_escapes_are_removed_without_concern(command: str) -> None:
    cmd = only(command)
    assert (cmd.program, cmd.argv, cmd.concerns) == ("rm", ("rm", "x"), ())


@pytest.mark.parametrize("command", ["$'\\x72\\x6d' x", "$'\\162\\155' x", "$'r\\u006d' x"])
def test_ansi_c_program_names_are_decoded_and_flagged(command: str) -> None:
    cmd = only(command)
    assert (cmd.program, cmd.argv) == ("rm", ("rm", "x"))
    assert any("obfuscated program name" in c for c in cmd.concerns)


@pytest.mark.parametrize(
    ("command", "program", "fragment"),
    [
        ("$X -rf /", "$X", "parameter expansion"),
        ("${X:-rm} -rf /", "${X:-rm}", "parameter expansion"),
        ("${IFS}rm", "${IFS}rm", "parameter expansion"),
        ("$(echo rm) -rf /", "$(echo rm)", "command substitution"),
        ("`echo rm` -rf /", "`echo rm`", "command substitution"),
        ("/bin/r? -rf /", "/bin/r?", "glob"),
        ("r* -rf /", "r*", "glob"),
        ("[r]m -rf /", "[r]m", "glob"),
        ("{rm,-rf,/}", "{rm,-rf,/}", "brace expansion"),
        ("~/bin/rm x", "~/bin/rm", "tilde expansion"),
        ("'' x", "", "empty program name"),
    ],
)
def test_computed_program_names_stay_raw_and_are_concerns(
    command: str, program: str, fragment: str
) -> None:
    cmd = parsed(command).commands[0]
    assert cmd.program == program
    assert fragment in " | ".join(cmd.concerns)


def test_ifs_in_arguments_is_a_concern() -> None:
    assert "${IFS} in arguments" in only("cat${IFS}/etc/passwd x${IFS}y").concerns


def test_argv_is_what_bash_passes() -> None:
    cmd = only("echo 'a b' \"c $d\" e\\ f $'g\\th' \"\\$x\"")
    assert cmd.argv == ("echo", "a b", "c $d", "e f", "g\th", "$x")


@pytest.mark.parametrize(
    ("command", "program"),
    [
        ("/usr/bin/rm x", "rm"),
        ("/bin/rm x", "rm"),
        ("/usr/local/bin/rm x", "rm"),
        ("/sbin/reboot", "reboot"),
        ("/usr/sbin/reboot", "reboot"),
        ("/tmp/cat x", "/tmp/cat"),
        ("./cat x", "./cat"),
        ("../bin/cat x", "../bin/cat"),
        ("bin/cat x", "bin/cat"),
        ("//bin/cat x", "//bin/cat"),
        ("/usr/bin/../../tmp/cat x", "/usr/bin/../../tmp/cat"),
    ],
)
def test_program_paths_normalise_only_for_system_bin_dirs(command: str, program: str) -> None:
    assert only(command).program == program


# --- class 7: redirections -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "redirect"),
    [
        ("ls > out", Redirect(">", "out", True)),
        ("ls >> out", Redirect(">>", "out", True)),
        ("ls >| out", Redirect(">|", "out", True)),
        ("ls &> out", Redirect("&>", "out", True)),
        ("ls &>> out", Redirect("&>>", "out", True)),
        ("ls >& out", Redirect(">&", "out", True)),
        ("ls <> out", Redirect("<>", "out", True)),
        ("ls < in", Redirect("<", "in", False)),
        ("ls 2>&1", Redirect(">&", "1", False)),
        ("ls >&2", Redirect(">&", "2", False)),
        ("ls 3>&-", Redirect(">&", "-", False)),
        ("ls 2> 'my file'", Redirect(">", "my file", True)),
        ("cat <<< 'text'", Redirect("<<<", "text", False)),
        ("cat <<EOF\nx\nEOF", Redirect("<<", "", False)),
    ],
)
def test_redirections_are_recorded(command: str, redirect: Redirect) -> None:
    assert only(command).redirects == (redirect,)


@pytest.mark.parametrize(
    "command", ["echo x > /dev/tcp/1.2.3.4/80", "cat < /dev/tcp/h/80", "ls 2>/dev/udp/h/53"]
)
def test_network_redirection_is_dangerous(command: str) -> None:
    cmd = only(command)
    assert "network redirection" in cmd.concerns
    assert cmd.dangerous


def test_non_literal_redirection_target_is_a_concern() -> None:
    assert "redirection target is not a literal path" in only('ls > "$HOME/x"').concerns


def test_fd_duplication_is_not_a_file() -> None:
    redirect = only("ls 2>&1").redirects[0]
    assert not redirect.is_file
    assert Redirect(">&", "out", True).is_file
