"""The dashboard's cost at scale, without Ray: synthetic events through the live dashboard.

1000 trials x 100 reports are appended to an event log at a steady rate (8 trials running at a
time, as a cluster would report them) while the dashboard's own background thread refreshes.
Prints the dashboard's CPU time as a share of the feeding time, and the bytes its widgets send
per refresh against the new points of that refresh.

    python benchmarks/dashboard.py [--trials 1000] [--reports 100] [--rate 5000]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import threading
import time

import ipywidgets

from tunebook.dashboard import Dashboard
from tunebook.events import EventLog
from tunebook.results import Progress, Results

SENT: list[int] = []  # bytes of each comm message, in order


def count_messages() -> None:
    comm_class = type(ipywidgets.HTML().comm)
    original = comm_class.publish_msg

    def publish(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        SENT.append(len(json.dumps(data, default=str)) + sum(len(b) for b in buffers or []))
        return original(self, msg_type, data, metadata, buffers, **keys)

    comm_class.publish_msg = publish


class TimedDashboard(Dashboard):
    """Counts each refresh's CPU time (of the refresh thread), new points and bytes sent."""

    def __init__(self, *args, **kwargs) -> None:
        self.cpu = 0.0
        self.per_refresh: list[tuple[int, int]] = []  # (new reports, bytes)
        super().__init__(*args, **kwargs)

    def refresh(self, flush: bool = False) -> bool:
        started, sent_before = time.thread_time(), len(SENT)
        reports_before = self._state.seq
        done = super().refresh(flush)
        self.cpu += time.thread_time() - started
        if done:
            self.per_refresh.append((self._state.seq - reports_before, sum(SENT[sent_before:])))
        return done


class FakeExperiment:
    """What the dashboard reads of an Experiment: its live results and progress, done, stop."""

    def __init__(self, log: EventLog) -> None:
        self.live = Results(log)
        self.done = False

    def progress(self) -> Progress:  # as Experiment.progress: by the clock while it runs
        return self.live.progress(now=None if self.done else time.time())

    def stop(self) -> None:
        self.done = True

    def stop_trial(self, trial_id: str) -> None:
        pass


def feed(log: EventLog, trials: int, reports: int, rate: float, running: int) -> float:
    """Append the events at ``rate`` results per second; return the wall time it took."""
    log.append(
        "experiment_started", name="synthetic", metric="acc", mode="max", total_trials=trials
    )
    started = time.perf_counter()
    sent = 0
    for first in range(0, trials, running):
        batch = [f"t{i:04d}" for i in range(first, min(first + running, trials))]
        for trial in batch:
            log.append(
                "trial_started",
                trial_id=trial,
                config={"lr": 10 ** (-4 + 3 * (hash(trial) % 100) / 100), "depth": 3},
            )
        for step in range(1, reports + 1):
            for trial in batch:
                quality = (hash(trial) % 97) / 97
                log.append(
                    "result",
                    trial_id=trial,
                    iteration=step,
                    metrics={"acc": quality * (1 - math.exp(-step / 20))},
                )
                sent += 1
                lag = sent / rate - (time.perf_counter() - started)
                if lag > 0:
                    time.sleep(lag)
        for trial in batch:
            log.append("trial_ended", trial_id=trial, status="terminated")
    log.append("experiment_ended", status="completed")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--rate", type=float, default=5000, help="results per second")
    parser.add_argument("--running", type=int, default=8, help="trials reporting at once")
    args = parser.parse_args()
    count_messages()
    log = EventLog()
    experiment = FakeExperiment(log)
    dashboard = TimedDashboard(experiment, interval=0.5)  # type: ignore[arg-type]
    feeder = threading.Thread(
        target=lambda: setattr(
            main, "wall", feed(log, args.trials, args.reports, args.rate, args.running)
        )
    )
    feeder.start()
    feeder.join()
    experiment.done = True
    dashboard._thread.join(timeout=30)  # its final refresh
    wall = main.wall  # type: ignore[attr-defined]
    refreshes = dashboard.per_refresh
    new = [n for n, _ in refreshes if n]
    sent = [b for n, b in refreshes if n]
    per_point = [b / n for n, b in refreshes if n]
    print(
        f"{args.trials} trials x {args.reports} reports at {args.rate:.0f}/s, "
        f"{args.running} running at once: fed in {wall:.1f} s"
    )
    print(
        "| refreshes | dashboard CPU | share of feeding time | new events per refresh "
        "(median) | bytes per refresh (median, max) | bytes per new event (median, max) |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(refreshes)} | {dashboard.cpu:.2f} s | {100 * dashboard.cpu / wall:.1f}% "
        f"| {statistics.median(new):.0f} | {statistics.median(sent) / 1e3:.1f} KB, "
        f"{max(sent) / 1e3:.1f} KB | {statistics.median(per_point):.0f} B, "
        f"{max(per_point):.0f} B |"
    )


if __name__ == "__main__":
    main()
