"""The rungs of an early-stopping scheduler, from hand-made decisions and a recorded ASHA run."""

from __future__ import annotations

import json
from pathlib import Path

from tunebook.results import ExperimentState

DATA = Path(__file__).resolve().parents[1] / "data"


def test_rungs_info_from_hand_made_decisions():
    from tunebook.figures import Rung, RungsInfo, rungs_figure, rungs_info

    s = ExperimentState()
    s.add(
        [
            {"event": "experiment_started", "time": 0, "metric": "acc", "mode": "max"},
            *[{"event": "trial_started", "time": 1, "trial_id": t, "config": {}} for t in "abc"],
            {
                "event": "decision",
                "time": 2,
                "trial_id": "a",
                "bracket": 0,
                "rung": 1,
                "value": 0.5,
                "cutoff": None,
                "decision": "continue",
            },
            {
                "event": "decision",
                "time": 3,
                "trial_id": "b",
                "bracket": 0,
                "rung": 1,
                "value": 0.3,
                "cutoff": 0.5,
                "decision": "stop",
            },
            {
                "event": "decision",
                "time": 4,
                "trial_id": "a",
                "bracket": 0,
                "rung": 4,
                "value": 0.7,
                "cutoff": None,
                "decision": "continue",
            },
            {
                "event": "decision",
                "time": 5,
                "trial_id": "c",
                "bracket": 1,
                "rung": 4,
                "value": 0.6,
                "cutoff": None,
                "decision": "continue",
            },
        ]
    )
    info = rungs_info(s)
    assert info == RungsInfo(
        "acc",
        "max",
        (
            Rung(0, 1.0, ("a", "b"), (0.5, 0.3), (False, True), (None, 0.5)),
            Rung(0, 4.0, ("a",), (0.7,), (False,), (None,)),
            Rung(1, 4.0, ("c",), (0.6,), (False,), (None,)),
        ),
        (("a", ((1.0, 0.5), (4.0, 0.7))), ("b", ((1.0, 0.3),)), ("c", ((4.0, 0.6),))),
    )
    figure = rungs_figure(info)
    texts = [
        t
        for trace in figure.data
        if trace.hovertext is not None
        for t in (trace.hovertext if isinstance(trace.hovertext, tuple) else [trace.hovertext])
    ]
    assert any("iter 1: 0.5 → iter 4: 0.7" in t for t in texts)  # a trial's path on hover
    assert any("pruned here" in t for t in texts)
    assert "2 trials, 1 pruned" in figure.layout.xaxis.ticktext[0]


def test_every_decision_is_drawn_against_the_cutoff_it_was_made_against():
    """Asynchronous ASHA: a rung's cut-off moves as trials arrive, so a trial kept early can lie
    below the rung's latest cut-off and one pruned late above it. Each decision is drawn with
    its own cut-off: every pruned trial is below its own, every trial kept is not."""
    from tunebook.figures import rungs_figure, rungs_info

    events = [json.loads(line) for line in (DATA / "asha.jsonl").read_text().splitlines()]
    state = ExperimentState()
    state.add(events)
    info = rungs_info(state)
    decisions = [e for e in events if e["event"] == "decision"]
    for rung in info.rungs:
        made = [d for d in decisions if float(d["rung"]) == rung.milestone]
        assert rung.trial_ids == tuple(d["trial_id"] for d in made)  # in the order made
        assert rung.cutoffs == tuple(d["cutoff"] for d in made)
    sides = [
        (stop, value < cutoff)
        for rung in info.rungs
        for value, stop, cutoff in zip(rung.values, rung.pruned, rung.cutoffs, strict=True)
        if cutoff is not None
    ]
    assert sum(stop for stop, _ in sides) == 5 and all(stop == below for stop, below in sides)
    # the rung's latest cut-off alone would put kept trials below the line
    latest = {r.milestone: r.cutoffs[-1] for r in info.rungs}
    assert any(
        v < latest[r.milestone]
        for r in info.rungs
        for v, s in zip(r.values, r.pruned, strict=True)
        if not s
    )
    figure = rungs_figure(info)
    lines = [t for t in figure.data if t.name == "cut-off"]
    marks = [t for t in figure.data if t.name in ("kept", "pruned")]
    assert len(lines) == len(info.rungs) == 3  # one bracket: the rungs are columns 0, 1, 2
    for position, (rung, line) in enumerate(zip(info.rungs, lines, strict=True)):
        points = {
            round(x, 9): y
            for t in marks
            for x, y in zip(t.x, t.y, strict=True)
            if abs(x - position) < 0.5
        }
        steps = [  # (the step's centre, its level at both ends)
            (round((a + b) / 2, 9), y, z)
            for a, b, y, z in zip(line.x[::2], line.x[1::2], line.y[::2], line.y[1::2], strict=True)
        ]
        # a level step per decision, in the order made, at the cut-off it met...
        assert [y for _, y, _ in steps] == [z for _, _, z in steps] == list(rung.cutoffs)
        # ...centred on the decision's own point
        assert [points[centre] for centre, _, _ in steps] == list(rung.values)
    assert [t.name for t in figure.data if t.showlegend] == ["cut-off", "kept", "pruned"]
    assert "pruned (x): below" in figure.layout.title.text
