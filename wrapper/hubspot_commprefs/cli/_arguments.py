"""The command line's parser, whose usage errors say what to do: a command's option given before the
command names where it goes (argparse alone reads ``--record DIR statuses`` as a command ``DIR``), and an
unknown option gets its command's usage (not the main one) and the closest option it has.
"""

from __future__ import annotations

import argparse
import difflib
import shlex
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def _name(word: str) -> str:
    return word.split("=", 1)[0]


def _values(action: argparse.Action, word: str) -> int:
    """How many of the words after ``word`` are its values (none when written ``--name=value``)."""
    if "=" in word or action.nargs == 0:
        return 0
    return action.nargs if isinstance(action.nargs, int) else 1


class CommandLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` (its sub-commands' too) read with ``parse_command_line``."""

    def commands(self) -> dict[str, CommandLineParser]:
        for action in self._actions:
            if isinstance(action.choices, dict):  # the sub-parsers' action: name -> parser
                return dict(action.choices)
        return {}

    def option(self, word: str) -> argparse.Action | None:
        """The action of the option ``word`` names (``--name`` or ``--name=value``), if it is one."""
        return self._option_string_actions.get(_name(word))

    def abbreviates(self, word: str) -> bool:
        """Whether ``word`` is the start of one of this parser's long options (argparse reads it so)."""
        name = _name(word)
        return name.startswith("--") and any(
            option.startswith(name) for option in self._option_string_actions
        )

    def closest(self, word: str) -> str:
        """`` (did you mean --json?)`` for an option close to one of this parser's, else nothing."""
        close = difflib.get_close_matches(_name(word), list(self._option_string_actions), n=1)
        return f" (did you mean {close[0]}?)" if close else ""

    def parse_command_line(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        """``parse_args(argv)`` with the usage errors of the module docstring."""
        words = list(sys.argv[1:] if argv is None else argv)
        self._refuse_misplaced(words)
        args, unknown = self.parse_known_args(words)
        if unknown:
            parser = self.commands().get(getattr(args, "command", None) or "", self)
            parser.error(
                f"unrecognized arguments: {' '.join(unknown)}"
                + "".join(parser.closest(word) for word in unknown if word.startswith("-"))
            )
        return args

    def _refuse_misplaced(self, words: list[str]) -> None:
        """Exit with a usage error when a command's option (not a global one) stands before the command."""
        commands = self.commands()
        misplaced: int | None = None
        command: str | None = None
        index = 0
        while index < len(words):
            word = words[index]
            if word == "--":
                break
            if word in commands:
                command = word
                break
            if word.startswith("-") and word != "-" and misplaced is None:
                action = self.option(word)
                if action is not None:
                    index += _values(action, word)
                elif any(parser.option(word) for parser in commands.values()):
                    misplaced = index
                elif not self.abbreviates(word):
                    self.error(f"unrecognized arguments: {word}{self.closest(word)}")
            index += 1
        if misplaced is None:
            return
        option = _name(words[misplaced])
        action = commands[command].option(option) if command is not None else None
        if command is not None and action is not None:
            end = misplaced + 1 + _values(action, words[misplaced])
            moved = [*words[:misplaced], *words[end:], *words[misplaced:end]]
            commands[command].error(
                f"{option} is an option of {command}, not a global one: put it after the command, as in "
                f"{shlex.join([self.prog, *moved])}"
            )
        owners = ", ".join(name for name, parser in commands.items() if parser.option(option))
        self.error(f"{option} is an option of {owners}, not a global one: put it after the command's name")
