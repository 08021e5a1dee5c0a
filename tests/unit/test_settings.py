"""``config.toml`` is one file with two readers: ``[storage]`` (app/settings.py) and the
console's ``[console]``/``[notify]``/``[keymap]`` (app/console_settings.py). Each must accept the other's
tables, and a table nobody reads must still be an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import console_settings, settings
from app.wiring.store import open_store

BOTH = """\
[storage]
encrypt = false

[console]
theme = "textual-light"

[notify]
bell = false

[keymap]
approve-once = "y"
"""


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_both_readers_accept_a_file_with_every_table(tmp_path: Path) -> None:
    _config(tmp_path, BOTH)
    assert settings.load_settings().storage.encrypt is False
    console = console_settings.load_settings()
    assert console.console.theme == "textual-light" and console.notify.bell is False
    assert console.keymap == {"approve-once": "y"}
    open_store(tmp_path / "q.db").close()  # a store opens under the console's tables


def test_a_misspelt_table_is_an_error_not_a_silent_default(tmp_path: Path) -> None:
    _config(tmp_path, "[storgae]\nencrypt = true\n")
    with pytest.raises(settings.SettingsError, match=r"config.toml: storgae: "):
        settings.load_settings()
    with pytest.raises(settings.SettingsError):
        open_store(tmp_path / "q.db")


def test_quarterdeck_config_moves_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('[console]\ntheme = "nord"\n')
    monkeypatch.setenv("QUARTERDECK_CONFIG", str(elsewhere))
    assert console_settings.settings_file() == settings.settings_file() == elsewhere
    assert console_settings.load_settings().console.theme == "nord"


def test_a_wrong_console_value_names_the_file_and_the_field(tmp_path: Path) -> None:
    _config(tmp_path, "[notify]\nstall_after_s = -1\n")
    with pytest.raises(console_settings.SettingsError, match=r"notify.stall_after_s"):
        console_settings.load_settings()
    assert settings.load_settings().storage.encrypt is False  # not [storage]'s business


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[console]\nthem = "nord"\n', "console.them: unknown key"),
        ('[console]\nbell = "yes"\n', "console.bell: should be true or false"),
        ("[console]\nstuck_after_s = true\n", "console.stuck_after_s: should be a number"),
        ('[notify]\nbell = "yes"\n', "notify.bell: should be true or false"),
        ('[notify]\ndesktop = "dbus"\n', 'notify.desktop: should be one of "auto"'),
        ("[notify]\napproval_after_s = -5\n", "notify.approval_after_s: should be at least 0"),
        ("[notify]\nstall_after_s = 0\n", "notify.stall_after_s: should be greater than 0"),
        ('[notify]\non_failure = "no"\n', "notify.on_failure: should be true or false"),
        ("[notify]\nbel = true\n", "notify.bel: unknown key"),
        ("notify = 1\n", "notify: should be a table"),
        ("[console]\ntheme = 3\n", "console.theme: should be a theme name"),
        ("[keymap]\napprove-once = 1\n", "keymap.approve-once: should be keys as a string"),
        ('console = "dark"\n', "console: should be a table"),
    ],
)
def test_each_wrong_console_value_is_named(tmp_path: Path, text: str, where: str) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(console_settings.SettingsError) as raised:
        console_settings.load_settings()
    assert str(raised.value).startswith(f"{path}: {where}")


def test_notify_values_of_the_right_type_are_taken(tmp_path: Path) -> None:
    _config(
        tmp_path,
        '[notify]\ndesktop = "osc777"\napproval_after_s = 0\nstall_after_s = false\n'
        "on_failure = false\n",
    )
    notify = console_settings.load_settings().notify
    assert notify == console_settings.NotifySettings(
        bell=True, desktop="osc777", approval_after_s=0.0, stall_after_s=None, on_failure=False
    )
    assert console_settings.Settings().notify == console_settings.NotifySettings()


def test_the_older_console_keys_still_set_notify_unless_notify_says(tmp_path: Path) -> None:
    _config(tmp_path, "[console]\nstuck_after_s = 30\ndesktop_notifications = true\n")
    notify = console_settings.load_settings().notify
    assert (notify.stall_after_s, notify.desktop, notify.bell) == (30.0, "auto", True)
    _config(
        tmp_path,
        "[console]\nbell = false\ndesktop_notifications = false\nstuck_after_s = 30\n"
        "[notify]\nstall_after_s = 90\n",
    )
    notify = console_settings.load_settings().notify
    assert (notify.stall_after_s, notify.desktop, notify.bell) == (90.0, "off", False)
