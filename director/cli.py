"""The director's argument parser: a usage error is one line on stderr, named by the command
it is for (`ctl: argument --mtu: invalid int value: 'x'`), with exit status 2."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

PROG = "python3 -m director"


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line; its subparsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        words = self.prog.removeprefix(PROG).split()
        name = words[0] if words else "director"
        sys.stderr.write(f"{name}: {message} (see {self.prog} --help)\n")
        sys.exit(2)
