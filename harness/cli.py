"""Command line of the harness: thin wrappers over the library, one subcommand per job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import (
    demo,
    image,
    initramfs,
    kconfig,
    kernel_tree,
    kernels,
    matrix,
    matrix_run,
    modules,
    shell,
    workflow,
)
from harness.bench import run as bench_run
from harness.log import say
from harness.paths import REPO
from harness.soak import faults as soak_faults
from harness.soak import run as soak_run


def _selected(args: argparse.Namespace) -> list[matrix.KernelSpec]:
    if getattr(args, "kernel_tree", None):
        if args.kernel:
            raise SystemExit("--kernel and --kernel-tree exclude each other")
        return [kernels.spec_of(kernel_tree.kernel_id(Path(args.kernel_tree)))]
    m = matrix.load()
    if args.kernel == "all":
        return list(m.kernels)
    # A matrix cell, or a tree's id (`tree:PATH`) as the tests name it.
    return [kernels.spec_of(args.kernel or m.default)]


def cmd_fetch(args: argparse.Namespace) -> int:
    for spec in _selected(args):
        kernel = kernels.fetch(spec)
        print(f"{spec.id}\t{kernel.release}\t{kernel.version}\t{kernel.kdir}")
    return 0


def cmd_kdir(args: argparse.Namespace) -> int:
    print(kernels.fetch(_selected(args)[0]).kdir)
    return 0


def cmd_images(args: argparse.Namespace) -> int:
    print(image.build_image())
    for spec in _selected(args):
        print(initramfs.build_initramfs(kernels.fetch(spec)))
    return 0


def cmd_modules(args: argparse.Namespace) -> int:
    if args.kdir:
        targets = [(Path(args.kdir), None)]
    else:
        targets = [(k.kdir, k.config) for k in map(kernels.fetch, _selected(args))]
    status = 0
    for kdir, config in targets:
        try:
            build = modules.build(kdir, config, sparse=not args.no_sparse)
        except modules.KernelRefused as refused:
            say(str(refused))
            return 2
        print(build.log, end="")
        for warning in build.warnings:
            say(f"WARNING from the build: {warning}")
            status = 1
        for module in modules.MODULES:
            print(build.module(module))
    return status


def cmd_kconfig_check(args: argparse.Namespace) -> int:
    reasons = kconfig.check(Path(args.config))
    for reason in reasons:
        print(f"refused: {reason}")
    if not reasons:
        print("ok: the kernel satisfies every dependency of our modules")
    return 1 if reasons else 0


def cmd_matrix(args: argparse.Namespace) -> int:
    m = matrix.load()
    if args.run:
        return matrix_run.run(args.kernel, args.pytest_args)
    else:
        for k in m.kernels:
            default = " (default)" if k.id == m.default else ""
            built = " (built from source)" if k.source else ""
            tests = "" if k.in_tests else " (not in make test)"
            print(f"{k.id}\t{k.release}\t{k.description}{default}{built}{tests}")
    return 0


def cmd_workflow(args: argparse.Namespace) -> int:
    changed = workflow.write(matrix.load())
    print(f"{workflow.WORKFLOW_FILE.relative_to(REPO)}: {'rewritten' if changed else 'in sync'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return demo.run(_selected(args)[0])


def cmd_bench(args: argparse.Namespace) -> int:
    if args.rewrite:
        bench_run.rewrite()
    else:
        bench_run.run(_selected(args)[0], quick=args.quick)
    return 0


def cmd_soak(args: argparse.Namespace) -> int:
    kinds = args.faults.split(",") if args.faults else None
    return soak_run.run(_selected(args)[0], args.minutes, args.module_cycles, args.seed, kinds)


def cmd_shell(args: argparse.Namespace) -> int:
    return shell.run(_selected(args)[0], gdb=args.gdb)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    def add(name: str, func: object, help: str, kernel: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        p.set_defaults(func=func)
        if kernel:
            p.add_argument("--kernel", help="matrix kernel id, or 'all' (default: the default)")
            p.add_argument(
                "--kernel-tree",
                metavar="PATH",
                help="a kernel tree you built (make bzImage modules; in place or O=), instead",
            )
        return p

    add("fetch", cmd_fetch, "download and unpack matrix kernels into the cache")
    add("kdir", cmd_kdir, "print the headers directory (KDIR) of a matrix kernel")
    add("images", cmd_images, "build the guest root image and stage-1 initramfs")
    p = add("modules", cmd_modules, "build the modules (W=1, sparse) against a kernel")
    p.add_argument("--kdir", help="any kernel headers/build tree instead of a matrix kernel")
    p.add_argument("--no-sparse", action="store_true", help="skip sparse (C=2)")
    p = add("kconfig-check", cmd_kconfig_check, "can a kernel .config host our modules?", False)
    p.add_argument("config", help="path to the kernel's .config")
    p = add("matrix", cmd_matrix, "print the kernel matrix, or run it", kernel=False)
    p.add_argument(
        "--run", action="store_true", help="build and test every cell; print a summary table"
    )
    p.add_argument("--kernel", action="append", help="with --run: only this cell (repeatable)")
    p.add_argument("pytest_args", nargs="*", help="with --run: more pytest arguments")
    add(
        "workflow",
        cmd_workflow,
        "rewrite .github/workflows/kernel-matrix.yml from ci/kernels.toml",
        kernel=False,
    )
    add("demo", cmd_demo, "boot the fabric and show the product working end to end")
    p = add("bench", cmd_bench, "measure ours beside the link's limits and the peers")
    p.add_argument(
        "--quick", action="store_true", help="one short repetition, to try the bench out"
    )
    p.add_argument(
        "--rewrite",
        action="store_true",
        help="measure nothing: rewrite the table, plot and README from bench/results/bench.json",
    )
    p = add(
        "shell",
        cmd_shell,
        "both VMs booted with the product set up, and a console to each (Ctrl-] switches)",
    )
    p.add_argument("--gdb", action="store_true", help="each QEMU serves its gdb stub on 127.0.0.1")
    p = add("soak", cmd_soak, "faults at random intervals under verified I/O, and the figures")
    p.add_argument("--minutes", type=float, default=60.0, help="how long the faults go on")
    p.add_argument(
        "--module-cycles",
        type=int,
        default=100,
        help="load/unload cycles of every module after the faults, I/O stopped",
    )
    p.add_argument("--seed", type=int, help="of the faults' order and pauses (default: the time)")
    p.add_argument(
        "--faults",
        help="comma-separated kinds to inject, to chase one (default: all of"
        f" {','.join(f.name for f in soak_faults.FAULTS)})",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except kernel_tree.TreeRefused as refused:
        print(f"harness: {refused}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
