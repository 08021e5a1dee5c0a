"""No console class may reuse a private attribute name of its Textual base.

``QuarterdeckApp`` once kept its own ``self._closed`` flag, which is also the name of the
message pump's "queue closed" flag: Textual then skipped closing the app's queue and the app
never exited. This finds every ``self._name = …`` in our Textual subclasses and checks the
name against what the Textual classes they derive from already use.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import textual
from textual.message_pump import MessagePump

import screens


def _our_modules() -> list[str]:
    names = ["app.console", "app.bridge"]
    for package in (screens,):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            names.append(info.name)
    return names


def _textual_names(cls: type) -> set[str]:
    """Private names Textual's own classes in ``cls``'s MRO set on instances or define."""
    names: set[str] = set()
    for base in cls.__mro__:
        module = inspect.getmodule(base)
        if module is None or not module.__name__.startswith("textual"):
            continue
        names.update(n for n in vars(base) if n.startswith("_") and not n.startswith("__"))
        try:
            tree = ast.parse(inspect.getsource(base))
        except (OSError, TypeError):
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and node.attr.startswith("_")
            ):
                names.add(node.attr)
    return names


def _assigned_private_names(cls: type) -> set[str]:
    tree = ast.parse(inspect.getsource(cls))
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and target.attr.startswith("_")
                and not target.attr.startswith("__")
            ):
                found.add(target.attr)
    return found


def _our_textual_classes() -> list[type]:
    classes = []
    for name in _our_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, MessagePump):
                classes.append(cls)
    return classes


def test_the_check_sees_the_classes_and_the_names_it_guards() -> None:
    classes = {c.__name__ for c in _our_textual_classes()}
    assert {"QuarterdeckApp", "DashboardScreen", "SessionTimeline"} <= classes
    assert "_closed" in _textual_names(textual.app.App)


def test_no_console_class_reuses_a_textual_private_attribute() -> None:
    clashes = {
        f"{cls.__module__}.{cls.__qualname__}": sorted(
            _assigned_private_names(cls) & _textual_names(cls)
        )
        for cls in _our_textual_classes()
    }
    assert {k: v for k, v in clashes.items() if v} == {}
