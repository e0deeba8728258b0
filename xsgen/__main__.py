"""python -m xsgen [--check] [--root DIR]: regenerate, or list what is stale and fail."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xsgen import outputs
from xsgen.loader import load_all
from xsgen.model import SpecError

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xsgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    parser.add_argument("--root", type=Path, default=REPO, help="repository root")
    args = parser.parse_args(argv)
    try:
        specs = load_all(args.root)
    except SpecError as err:
        print(f"xsgen: {err}", file=sys.stderr)
        return 2
    produced = [out for spec in specs for out in outputs.outputs(spec, args.root)]
    if args.check:
        stale = [out for out in produced if outputs.stale(out)]
        for out in stale:
            print(f"xsgen: stale: {out.path.relative_to(args.root)}", file=sys.stderr)
        if stale:
            print("xsgen: run `make gen` and commit the result", file=sys.stderr)
            return 1
        print(f"xsgen: {len(produced)} generated files are up to date")
        return 0
    for out in produced:
        if outputs.write(out):
            print(f"xsgen: wrote {out.path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
