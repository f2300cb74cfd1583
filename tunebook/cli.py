"""The ``tunebook`` command: ``tunebook demo``, ``show FOLDER``, ``report FOLDER``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tunebook.errors import TunebookError
from tunebook.figures import write_report
from tunebook.results import Results, cell_text, number_text, summary_frame, values_text

if TYPE_CHECKING:
    from tunebook.engine import Experiment


def follow(experiment: Experiment, stream: TextIO | None = None, every: float = 0.5) -> None:
    """Print the experiment's progress line until it ends: rewritten in place on a terminal,
    one line every few seconds otherwise. Ctrl-C stops the experiment cleanly."""
    stream = stream or sys.stdout
    tty = stream.isatty()
    interval = every if tty else max(every, 5.0)
    last = ""
    try:
        while not experiment.done:
            line = experiment.progress_line()
            if tty:
                stream.write("\r\033[K" + line)
                stream.flush()
            elif line != last:
                stream.write(line + "\n")
                stream.flush()
            last = line
            time.sleep(interval)
    except KeyboardInterrupt:
        stream.write("\nstopping: trials end cleanly, every report so far is kept...\n")
        experiment.stop()
        while not experiment.done:
            time.sleep(0.1)
    final = experiment.progress_line()
    stream.write(("\r\033[K" if tty else "") + final + "\n")
    stream.flush()


def summary(results: Results, stream: TextIO | None = None, top: int = 5) -> None:
    """Print the best trial, the top trials and where the record is."""
    stream = stream or sys.stdout
    metric = results.metric or ""
    frame = summary_frame(results.trials, results.state)  # the columns that tell trials apart
    shown = frame.head(top).map(cell_text)
    stream.write(f"\nTop {len(shown)} of {len(frame)} trials:\n{shown.to_string(index=False)}\n")
    best = results.best()
    stream.write(
        f"\nBest {metric}: {number_text(best.metrics[metric])} (trial {best.trial_id}, "
        f"iteration {best.iteration})\nBest config: {values_text(best.config)}\n"
    )
    if results.errors:
        stream.write(f"{len(results.errors)} trials failed; see results.trials['error'].\n")
    if results.path is not None:
        stream.write(f"Experiment folder: {results.path}\n")


def _demo(args: argparse.Namespace) -> int:
    from tunebook.demo import run_demo

    print(
        f"tunebook demo: {args.samples} configurations of a neural network on scikit-learn's "
        f"digits, up to {args.epochs} epochs each, ASHA stopping the poor ones early.\n"
        "Starting Ray (the first start takes a few seconds)..."
    )
    started = time.monotonic()
    experiment = run_demo(args.samples, args.epochs, args.storage, args.seed)
    print(f"Running in {experiment.path}")
    follow(experiment)
    summary(experiment.results)
    print(f"Total time: {time.monotonic() - started:.1f} s")
    return 0


def _show(args: argparse.Namespace) -> int:
    results = Results.load(args.folder)
    print(f"{results.name}: {results.progress().line()}")
    if results.status == "crashed":
        print(f"Crashed: {results.error}.")
    summary(results, top=args.top)
    return 0


def _report(args: argparse.Namespace) -> int:
    results = Results.load(args.folder)
    out = args.output or Path(args.folder) / "report.html"
    write_report(results, out)
    print(f"Wrote {out} ({Path(out).stat().st_size / 1e6:.1f} MB, readable offline)")
    return 0


def _resume(args: argparse.Namespace) -> int:
    from tunebook.engine import resume

    experiment = resume(args.experiment, storage_path=args.storage, restart_errored=args.errored)
    print(f"Resumed {experiment.name} ({experiment.path}); it runs until it ends.")
    experiment.wait()
    print(f"{experiment.name}: {experiment.progress_line()}")
    return 0


def _list(args: argparse.Namespace) -> int:
    import pandas as pd

    from tunebook.results import LISTING, default_storage, stored

    storage = Path(args.storage).expanduser() if args.storage else default_storage()
    rows = stored(storage)
    if not rows:
        print(f"No experiments in {storage}.")
        return 0
    print(pd.DataFrame(rows, columns=list(LISTING)).to_string(index=False))
    return 0


def _watch(args: argparse.Namespace) -> int:
    from tunebook.engine._experiment import _say
    from tunebook.results import find

    folder = find(args.experiment, args.storage)
    line = ""
    try:
        while True:
            results = Results.load(folder)
            line = f"{results.name}: {results.progress().line()}"
            if results.status != "running":
                break
            _say(line)
            time.sleep(args.every)
    except KeyboardInterrupt:
        pass
    if sys.stdout.isatty():
        _say(line, last=True)  # the line rewritten in place, ended
    else:
        print(line, flush=True)
    return 0


def _stop(args: argparse.Namespace) -> int:
    from tunebook.engine._control import control_fields
    from tunebook.events import EVENTS_FILE, EventLog
    from tunebook.results import find

    folder = find(args.experiment, args.storage)
    results = Results.load(folder)
    if results.status != "running":
        print(f"{results.name} is not running ({results.status}): nothing to stop.")
        return 0
    command = "stop_trial" if args.trial else "stop"
    fields = control_fields(command, "tunebook stop", args.trial)
    EventLog.append_to(folder / EVENTS_FILE, "control", **fields)
    if args.trial:
        print(f"Asked {results.name} to stop trial {args.trial} (at its next report).")
        return 0
    print(f"Asked {results.name} to stop.")
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        results = Results.load(folder)
        if results.status != "running":
            print(f"{results.name}: {results.progress().line()}")
            return 0
        time.sleep(0.2)
    print(
        f"{results.name} did not end within {args.timeout:g} s of the stop: its driver may "
        "be gone (it reads as crashed once its record has been silent for 30 s).",
        file=sys.stderr,
    )
    return 1


def _ray(args: argparse.Namespace) -> int:
    from tunebook.engine import _local_ray

    if args.action == "stop":
        info = _local_ray.stop()
        if info is None:
            print("No local Ray of tunebook's is up: nothing to stop.")
        else:
            print(
                f"Stopped the local Ray at {info['address']}: every run on it ended, and a "
                "kernel connected to it has lost its Ray (restart that kernel)."
            )
        return 0
    info = _local_ray.status()
    if info is None:
        print(
            "No local Ray of tunebook's is up (tb.run(..., detach=True) starts one that "
            "outlives the kernel)."
        )
        return 1
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["started"]))
    print(
        f"The local Ray at {info['address']} is up since {since}: {info['cpus']} CPUs, "
        f"127.0.0.1 only, token auth, no dashboard (process group {info['pid']}, log "
        f"{info['log']}). `tunebook ray stop` ends it and every run on it."
    )
    return 0


def _names_an_experiment(command: argparse.ArgumentParser) -> None:
    command.add_argument("experiment", help="its name in --storage, or its folder")
    command.add_argument("--storage", help="the folder of experiments (as tb.run's default)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tunebook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a real tuning job on a local Ray")
    demo.add_argument("--samples", type=int, default=40, help="configurations to try (40)")
    demo.add_argument("--epochs", type=int, default=30, help="epochs per trial at most (30)")
    demo.add_argument(
        "--storage",
        type=Path,
        default=Path("tunebook-demo-results"),
        help="folder for the experiment folder (./tunebook-demo-results)",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of the search (0)")
    demo.set_defaults(func=_demo)
    show = commands.add_parser("show", help="summarise an experiment folder")
    show.add_argument("folder", type=Path)
    show.add_argument("--top", type=int, default=10, help="trials to list (10)")
    show.set_defaults(func=_show)
    report = commands.add_parser("report", help="write a static HTML report of a folder")
    report.add_argument("folder", type=Path)
    report.add_argument("-o", "--output", type=Path, help="the HTML file (FOLDER/report.html)")
    report.set_defaults(func=_report)
    listing = commands.add_parser("list", help="list the experiments of a storage folder")
    listing.add_argument("--storage", help="the folder of experiments (as tb.run's default)")
    listing.set_defaults(func=_list)
    watch = commands.add_parser("watch", help="a live progress line of an experiment")
    _names_an_experiment(watch)
    watch.add_argument("--every", type=float, default=1.0, help="seconds between lines (1)")
    watch.set_defaults(func=_watch)
    stop = commands.add_parser("stop", help="stop a running experiment, from anywhere")
    _names_an_experiment(stop)
    stop.add_argument("--trial", help="stop this trial only")
    stop.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (30)")
    stop.set_defaults(func=_stop)
    resume = commands.add_parser("resume", help="resume a run whose driver is gone")
    _names_an_experiment(resume)
    resume.add_argument("--errored", action="store_true", help="run failed trials again")
    resume.set_defaults(func=_resume)
    ray = commands.add_parser("ray", help="the local Ray that outlives the kernel")
    ray.add_argument("action", choices=["status", "stop"], help="show it, or end it")
    ray.set_defaults(func=_ray)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except TunebookError as err:
        print(f"tunebook: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
