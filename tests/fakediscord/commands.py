"""Slash-command definitions: validating what the bot syncs, and typing what tests invoke.

Discord rejects a bad command sync with 400 "Invalid Form Body" and its UI never sends an
option of the wrong type, an unknown option, or a value outside ``min_value``/``max_value``,
so the fake does the same: a bug there fails the test that caused it instead of production.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
SNOWFLAKE_TYPES = {USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT}
NAME_RE = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")

# resolve(option_type, value) -> (snowflake string, {"users": {id: payload}, ...})
Resolver = Callable[[int, Any], tuple[str, dict[str, dict[str, Any]]]]


class InvalidInvocation(ValueError):
    """A test asked for something the Discord client would never send."""


class CommandNotPermitted(PermissionError):
    """The user lacks the command's ``default_member_permissions``: Discord hides it from them."""


def validate_commands(commands: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Returns (path, problem) pairs for a bulk sync body, empty when Discord would accept it."""
    problems: list[tuple[str, str]] = []
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        kind = int(command.get("type", 1))
        key = (kind, str(command.get("name")))
        if key in seen:
            problems.append((f"{index}.name", "Application command names must be unique"))
        seen.add(key)
        problems += _check_named(command, f"{index}", slash=kind == 1)
        problems += _check_options(command.get("options") or [], f"{index}.options")
    if sum(1 for c in commands if int(c.get("type", 1)) == 1) > 100:
        problems.append(("_", "Maximum number of application commands reached (100)"))
    return problems


def _check_named(item: dict[str, Any], path: str, *, slash: bool) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    name = item.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name) or (slash and name != name.lower()):
        problems.append((f"{path}.name", f"Invalid name {name!r}"))
    description = item.get("description") or ""
    if slash and not 1 <= len(description) <= 100:
        problems.append((f"{path}.description", "Must be between 1 and 100 in length."))
    return problems


def _check_options(options: list[dict[str, Any]], path: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if len(options) > 25:
        problems.append((path, "Must be 25 or fewer in length."))
    optional_seen = False
    for index, option in enumerate(options):
        here = f"{path}.{index}"
        problems += _check_named(option, here, slash=True)
        if option.get("required") and optional_seen:
            problems.append((here, "Required options must be placed before non-required options"))
        optional_seen = optional_seen or not option.get("required")
        choices = option.get("choices") or []
        if len(choices) > 25:
            problems.append((f"{here}.choices", "Must be 25 or fewer in length."))
        if choices and option.get("autocomplete"):
            problems.append((f"{here}.autocomplete", "Autocomplete cannot be set with choices"))
        problems += _check_options(option.get("options") or [], f"{here}.options")
    return problems


def error_body(problems: list[tuple[str, str]]) -> dict[str, Any]:
    """Discord's nested "Invalid Form Body" error, which discord.py flattens into its message."""
    errors: dict[str, Any] = {}
    for path, message in problems:
        node = errors
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_BAD", "message": message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


@dataclass
class Invocation:
    """The ``data`` of an APPLICATION_COMMAND or autocomplete interaction."""

    options: list[dict[str, Any]]
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)


def split_command(
    command: dict[str, Any], words: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Walks "corpus approve" down groups/subcommands: (wrapper defs, leaf option defs)."""
    wrappers: list[dict[str, Any]] = []
    current = command
    for word in words:
        subs = [o for o in current.get("options") or [] if o.get("type") in (SUBCOMMAND, GROUP)]
        match = next((o for o in subs if o["name"] == word), None)
        if match is None:
            known = ", ".join(o["name"] for o in subs) or "none"
            raise InvalidInvocation(f"{command['name']} has no subcommand {word!r} (has: {known})")
        wrappers.append(match)
        current = match
    leaf = current.get("options") or []
    if any(o.get("type") in (SUBCOMMAND, GROUP) for o in leaf):
        raise InvalidInvocation(f"{command['name']} {' '.join(words)} needs a subcommand")
    return wrappers, leaf


def build_invocation(
    command: dict[str, Any],
    words: list[str],
    values: Mapping[str, Any],
    resolve: Resolver,
    focused: str | None = None,
) -> Invocation:
    """Types each value by its synced option definition and nests it under its subcommands."""
    wrappers, leaf = split_command(command, words)
    by_name = {o["name"]: o for o in leaf}
    unknown = set(values) - set(by_name)
    if unknown:
        raise InvalidInvocation(f"unknown options {sorted(unknown)}; defined: {sorted(by_name)}")
    if focused is None:
        missing = [o["name"] for o in leaf if o.get("required") and o["name"] not in values]
        if missing:
            raise InvalidInvocation(f"missing required options {missing}")
    invocation = Invocation(options=[])
    for name, value in values.items():
        option = by_name[name]
        if name == focused:
            invocation.options.append(
                {"name": name, "type": option["type"], "value": str(value), "focused": True}
            )
            continue
        invocation.options.append(_typed_option(option, value, resolve, invocation.resolved))
    for wrapper in reversed(wrappers):
        invocation.options = [
            {"name": wrapper["name"], "type": wrapper["type"], "options": invocation.options}
        ]
    return invocation


def _typed_option(
    option: dict[str, Any], value: Any, resolve: Resolver, resolved: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    kind = int(option["type"])
    if kind in SNOWFLAKE_TYPES:
        snowflake, extra = resolve(kind, value)
        for category, items in extra.items():
            resolved.setdefault(category, {}).update(items)
        return {"name": option["name"], "type": kind, "value": snowflake}
    _check_value(option, value)
    return {"name": option["name"], "type": kind, "value": value}


def _check_value(option: dict[str, Any], value: Any) -> None:
    kind, name = int(option["type"]), option["name"]
    expected: dict[int, tuple[type, ...]] = {
        STRING: (str,),
        INTEGER: (int,),
        BOOLEAN: (bool,),
        NUMBER: (int, float),
    }
    wrong_bool = isinstance(value, bool) and kind != BOOLEAN
    if kind in expected and (not isinstance(value, expected[kind]) or wrong_bool):
        raise InvalidInvocation(f"option {name!r} wants type {kind}, got {value!r}")
    choices = [c["value"] for c in option.get("choices") or []]
    if choices and value not in choices:
        raise InvalidInvocation(f"option {name!r}={value!r} is not one of the choices {choices}")
    _check_bounds(option, value)


def _check_bounds(option: dict[str, Any], value: Any) -> None:
    name = option["name"]
    low, high = option.get("min_value"), option.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInvocation(f"option {name!r}={value!r} outside [{low}, {high}]")
    if isinstance(value, str):
        shortest, longest = option.get("min_length"), option.get("max_length")
        if shortest is not None and len(value) < shortest:
            raise InvalidInvocation(f"option {name!r} shorter than {shortest}")
        if longest is not None and len(value) > longest:
            raise InvalidInvocation(f"option {name!r} longer than {longest}")


def find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    """Depth-first search of a message's component tree (rows, sections, containers)."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        children = list(component.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(component.get(key), dict):
                children.append(component[key])
        found = find_component(children, custom_id)
        if found is not None:
            return found
    return None
