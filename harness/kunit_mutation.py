"""Show that the KUnit suites catch the loss of each check: remove one check at a time from a
copy of the check sources, run the suites, and report which cases failed.

    python -m harness.kunit_mutation [--only SUBSTRING] [--list]

Not part of `make test` (a build and a boot per check). The mutants:
- every `return <REASON>;` (and `ret = <REASON>;`) in kernel/*/x*_check.c under an `if`: the
  `if`'s condition becomes `false && (...)`, so the check never refuses;
- one under a switch's `default:` returns the module's OK instead (the unknown type passes);
- the clamps and conditions listed in EXTRA, which refuse nothing but keep lengths in bounds;
- the session state machine's rules (xscore_session.c, also in EXTRA): backoff, deadlines,
  the owner's timers, reset and stop.

The suites build in their own scratch tree under ~/.cache/xsigo-linux/kunit-mutation (one cold
build, then only the mutated file recompiles); the repository and the cached `make test` build
are not touched. Exit status 1 when a mutant survives (no case fails) or does not compile.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness import kunit
from harness.log import say
from harness.paths import REPO, cache_dir

_REASON = re.compile(
    r"^(?P<indent>\s*)(?:return|ret =) (?P<reason>X\w+_CHECK_(?!OK\b)\w+|unterminated|unprintable);"
)


@dataclass(frozen=True)
class Mutant:
    file: str  # name in the scratch xsigo/ directory
    line: int  # 1-based line of the check in the original file
    what: str
    text: str  # the whole mutated file


# Checks that refuse nothing: (file, the exact text, its replacement, what it removes).
EXTRA = (
    (
        "xsvhba_check.c",
        "\tif (rsp_len > sizeof(sts->data))\n",
        "\tif (false && rsp_len > sizeof(sts->data))\n",
        "response info cut to the IOCB's data",
    ),
    (
        "xsvhba_check.c",
        "min3(sense_len, (u32)sizeof(sts->data) - rsp_len, sense_max)",
        "min(sense_len, sense_max)",
        "sense cut to the data after the response info",
    ),
    (
        "xsvhba_check.c",
        "min3(sense_len, (u32)sizeof(sts->data) - rsp_len, sense_max)",
        "min(sense_len, (u32)sizeof(sts->data) - rsp_len)",
        "sense cut to the room the caller has",
    ),
    (
        "xsvhba_check.c",
        "\t\tresid = bufflen;\n",
        "",
        "residual past the buffer cut to the buffer",
    ),
    (
        "xsvhba_check.c",
        "(le32_to_cpu(sts->handle) & XSVHBA_HANDLE_MASK)",
        "le32_to_cpu(sts->handle)",
        "handle's high bits masked off before the slot check",
    ),
    (
        "xscore_check.c",
        "\tif (count && resp->list.xcm_version != XDS_XCM_REC_VERSION)\n",
        "\tif (resp->list.xcm_version != XDS_XCM_REC_VERSION)\n",
        "an empty XCM list's record version not checked",
    ),
    (
        "xscore_session.c",
        "unsigned int shift = min(session->failures, 3U);",
        "unsigned int shift = 0 * session->failures;",
        "session: backoff does not double",
    ),
    (
        "xscore_session.c",
        "return min_t(unsigned long, HZ << shift, session->params->backoff_max);",
        "return HZ << shift;",
        "session: no backoff cap",
    ),
    (
        "xscore_session.c",
        "if (session->alive_armed &&\n\t\t    time_after_eq(jiffies, session->alive_by))",
        "if (0 &&\n\t\t    time_after_eq(jiffies, session->alive_by))",
        "session: liveness deadline ignored",
    ),
    (
        "xscore_session.c",
        "if (time_after_eq(jiffies, session->open_by))",
        "if (0 && time_after_eq(jiffies, session->open_by))",
        "session: open deadline ignored",
    ),
    (
        "xscore_session.c",
        "if (time_after_eq(jiffies, session->connect_by))",
        "if (0 && time_after_eq(jiffies, session->connect_by))",
        "session: connect deadline ignored",
    ),
    (
        "xscore_session.c",
        "\tsession->failures = 0;\n\tsession->alive_armed = false;\n",
        "\tsession->alive_armed = false;\n",
        "session: failures not forgotten when up",
    ),
    (
        "xscore_session.c",
        "if (session->wake_armed && (!armed ||",
        "if (0 && session->wake_armed && (!armed ||",
        "session: owner timer ignored",
    ),
    (
        "xscore_session.c",
        "\tsession->wake_armed = false;\n\txscore_session_step(session);",
        "\txscore_session_step(session);",
        "session: wake not cleared per run",
    ),
    (
        "xscore_session.c",
        "\t\t*next = session->alive_by;\n\t\tarmed = session->alive_armed;",
        "\t\t*next = jiffies + HZ;\n\t\tarmed = true;",
        "session: periodic tick",
    ),
    (
        "xscore_session.c",
        "\t\txscore_session_fail(session, why, -ECONNRESET);\n\t\tsession->retry_at = jiffies;",
        "\t\txscore_session_fail(session, why, -ECONNRESET);",
        "session: reset keeps backoff",
    ),
    (
        "xscore_session.c",
        "\tsession->params->ops->teardown(session);\n\tmutex_unlock",
        "\tmutex_unlock",
        "session: stop skips teardown",
    ),
    (
        "xscore_session.c",
        "\tif (session->state == XSCORE_SESSION_STOPPED)\n\t\tgoto out;",
        "\tif (0)\n\t\tgoto out;",
        "session: stopped work still steps",
    ),
    (
        "xscore_session.c",
        "\tops->teardown(session);\n\txscore_session_set_state(session, XSCORE_SESSION_DOWN);",
        "\txscore_session_set_state(session, XSCORE_SESSION_DOWN);",
        "session: fail does not tear down",
    ),
)


def _ok_of(text: str) -> str:
    """The OK enumerator of a check file."""
    return re.search(r"\b(X\w+_CHECK_OK)\b", text).group(1)  # type: ignore[union-attr]


def mutants(files: dict[str, bytes]) -> list[Mutant]:
    """Every mutant of the check sources, one check removed in each."""
    found: list[Mutant] = []
    for name in sorted(files):
        if not name.endswith("_check.c"):
            continue
        text = files[name].decode()
        lines = text.splitlines(keepends=True)
        for index, line in enumerate(lines):
            match = _REASON.match(line)
            if match is None:
                continue
            reason = match.group("reason")
            previous = lines[index - 1].strip()
            mutated = list(lines)
            if previous.startswith(("default:", "case ")):
                mutated[index] = f"{match.group('indent')}return {_ok_of(text)};\n"
                found.append(Mutant(name, index + 1, f"{reason} (switch)", "".join(mutated)))
                continue
            first = index - 1
            while first > 0 and not lines[first].lstrip().startswith("if ("):
                first -= 1
            if index - first > 4:
                raise RuntimeError(f"{name}:{index + 1}: no `if` above {reason}")
            mutated[first] = mutated[first].replace("if (", "if (false && (", 1)
            last = mutated[index - 1]
            cut = last.rstrip("\n").rstrip(" {").rstrip()
            assert cut.endswith(")"), (name, index, last)
            mutated[index - 1] = cut + ")" + last[len(cut) :]
            found.append(Mutant(name, index + 1, reason, "".join(mutated)))
    for name, old, new, what in EXTRA:
        text = files[name].decode()
        if text.count(old) != 1:
            raise RuntimeError(f"{name}: the text to mutate for '{what}' is gone: {old!r}")
        line = text[: text.index(old)].count("\n") + 1
        found.append(Mutant(name, line, what, text.replace(old, new)))
    return found


@dataclass
class Verdict:
    mutant: Mutant
    caught_by: list[str]
    error: str = ""
    seconds: float = 0.0


def run_mutant(tree: Path, build_dir: Path, files: dict[str, bytes], mutant: Mutant) -> Verdict:
    start = time.monotonic()
    kunit.update_xsigo(tree, {**files, mutant.file: mutant.text.encode()})
    try:
        kunit.build(tree, build_dir, REPO / kunit.KUNITCONFIG)
    except RuntimeError as err:
        return Verdict(mutant, [], error=str(err)[-2000:], seconds=time.monotonic() - start)
    results = kunit.parse_ktap(kunit.execute(tree, build_dir))
    suites = {r.suite for r in results if len(r.path) == 1}
    failed = [r.name for r in results if r.leaf and not r.ok]
    missing = sorted(set(kunit.suite_names()) - suites)
    failed += [f"{suite} (no verdict: the kernel died?)" for suite in missing]
    return Verdict(mutant, failed, seconds=time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.kunit_mutation", description=__doc__)
    parser.add_argument("--only", default="", help="run the mutants whose text contains this")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)

    files = kunit.scratch_files()
    chosen = [m for m in mutants(files) if args.only in f"{m.file}:{m.line} {m.what}"]
    if args.list:
        for m in chosen:
            print(f"{m.file}:{m.line} {m.what}")
        return 0

    root = cache_dir("kunit-mutation")
    tree, build_dir, _ = kunit.prepare(root, files, REPO / kunit.KUNITCONFIG)
    # The objects will be of the last mutant: the next run builds the checks again.
    (root / "built").unlink()

    say("the unmutated checks first: every case must pass")
    baseline = run_mutant(
        tree, build_dir, files, Mutant("Kbuild", 0, "none", files["Kbuild"].decode())
    )
    if baseline.error or baseline.caught_by:
        print(f"baseline fails: {baseline.error or baseline.caught_by}")
        return 1

    verdicts = []
    for number, mutant in enumerate(chosen, 1):
        verdict = run_mutant(tree, build_dir, files, mutant)
        verdicts.append(verdict)
        where = f"[{number}/{len(chosen)}] {mutant.file}:{mutant.line} {mutant.what}"
        if verdict.error:
            print(f"{where}: DOES NOT COMPILE\n{verdict.error}", flush=True)
        elif verdict.caught_by:
            print(f"{where}: caught by {', '.join(verdict.caught_by)}", flush=True)
        else:
            print(f"{where}: SURVIVED (no case failed)", flush=True)
    kunit.update_xsigo(tree, files)

    bad = [v for v in verdicts if v.error or not v.caught_by]
    total = sum(v.seconds for v in verdicts)
    print(
        f"{len(verdicts) - len(bad)} of {len(verdicts)} mutants caught"
        f" ({total:.0f} s, {total / max(len(verdicts), 1):.0f} s each)"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
