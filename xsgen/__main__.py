"""python -m xsgen [--check] [--root DIR]: regenerate from specs/*.yaml what differs; with
--check, write nothing and fail listing each generated file that is missing, stale or orphaned.
Either way the specs and their golden vectors (specs/vectors/) are checked first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xsgen import outputs
from xsgen.loader import load_all
from xsgen.model import SpecError
from xsgen.vectors import load_vectors

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xsgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    parser.add_argument("--root", type=Path, default=REPO, help="repository root")
    args = parser.parse_args(argv)
    try:
        specs = load_all(args.root)
        load_vectors(args.root, specs)
    except SpecError as err:
        print(f"xsgen: {err}", file=sys.stderr)
        return 2
    produced = [out for spec in specs for out in outputs.outputs(spec, args.root)]
    orphans = outputs.orphans(args.root, produced)
    if args.check:
        drifted = [(out.path, how) for out in produced if (how := outputs.drift(out))]
        drifted += [(path, "orphaned") for path in orphans]
        for path, how in drifted:
            print(f"xsgen: {how}: {path.relative_to(args.root)}", file=sys.stderr)
        if drifted:
            print("xsgen: run `make gen`, remove orphaned files, and commit", file=sys.stderr)
            return 1
        print(f"xsgen: {len(produced)} generated files are up to date")
        return 0
    for out in produced:
        if outputs.write(out):
            print(f"xsgen: wrote {out.path.relative_to(args.root)}")
    for path in orphans:
        print(f"xsgen: orphaned (no spec generates it; remove it): {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
