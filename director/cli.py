"""The director's argument parser: a usage error is one line on stderr, named by the command
it is for (`ctl: argument --mtu: invalid int value: 'x'`), with exit status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")

PROG = "python3 -m director"


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line; its subparsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        words = self.prog.removeprefix(PROG).split()
        name = words[0] if words else "director"
        sys.stderr.write(f"{name}: {message} (see {self.prog} --help)\n")
        sys.exit(2)


def checked(
    check: Callable[[Any], T], what: str, convert: Callable[[str], Any] = str
) -> Callable[[str], T]:
    """An argument type: `convert` the text, then `check` it (director/formats.py); what
    either refuses is the argument's one-line error."""

    def argument(text: str) -> T:
        try:
            value = convert(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"{what} {text!r} is not a number") from err
        try:
            return check(value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from err

    return argument
