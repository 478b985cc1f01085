"""Runs benchmarks and writes their figures into bench/RESULTS.md.

Usage: `python -m bench [NAME ...] [OPTIONS]` (all when no name). Each
benchmark is a module `bench/bench_<name>.py` with a `run() -> str` returning
a Markdown section; only the sections of the benchmarks that ran are
replaced, so one benchmark can be refreshed without rerunning the others. A
benchmark with options of its own defines `add_arguments(parser)` and takes
the parsed flags as `run(args)` (e.g. `python -m bench quality --tasks sst2`).
"""

import argparse
import datetime
import importlib
import os
import pathlib
import platform
import re
import sys
import time

from bench import measure

BENCH_DIR = pathlib.Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\n"
    "Written by `make bench` (`python -m bench [NAME ...]`); each benchmark replaces only\n"
    "its own section. Each section ends with the command that produced it, the machine\n"
    "and the date; sections written by the current runner also give the cores the run\n"
    "could use and the 1-minute load average at its start and end, read when it ran.\n"
    "Ratios compare runs made side by side in the same process.\n"
)


def available():
    return sorted(p.stem[len("bench_") :] for p in BENCH_DIR.glob("bench_*.py"))


def machine_line():
    return (
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores, {datetime.date.today().isoformat()}"
    )


def conditions_line(load_start, load_end, seconds):
    """The cores this run could use and the machine's load around it, read now."""
    return (
        f"{measure.usable_cores()} usable cores; 1-minute load average {load_start:.1f} at the "
        f"start, {load_end:.1f} at the end; {seconds / 60:.1f} min"
    )


def with_header(text):
    """`text` with the current HEADER in place of whatever precedes its first section."""
    first = text.find("<!-- bench:")
    return HEADER + "\n" + (text[first:] if first >= 0 else text.lstrip())


def replace_section(text, name, body):
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return text.rstrip() + "\n\n" + block + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {available()})"
    )
    # The names come before the first flag; the named benchmarks add their own flags.
    first_flag = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    names = argv[:first_flag] or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available()}")
    modules = {name: importlib.import_module(f"bench.bench_{name}") for name in names}
    for name, module in modules.items():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser.add_argument_group(f"{name} options"))
    args = parser.parse_args(argv)
    for name, module in modules.items():
        print(f"== bench {name}", flush=True)
        load_start, started = measure.load_average(), time.monotonic()
        body = module.run(args) if hasattr(module, "add_arguments") else module.run()
        conditions = conditions_line(load_start, measure.load_average(), time.monotonic() - started)
        shown = " ".join(["python -m bench", *argv]) if argv else f"python -m bench {name}"
        body += f"\n\n_Command: `{shown}`; machine: {machine_line()}; {conditions}._\n"
        # Read the file again just before writing: another benchmark may have
        # written its own section while this one ran, and must not be lost.
        text = RESULTS.read_text() if RESULTS.exists() else HEADER
        RESULTS.write_text(with_header(replace_section(text, name, body)))
        print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
