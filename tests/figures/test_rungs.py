"""The rungs of an early-stopping scheduler, from hand-made decisions."""

from __future__ import annotations

from tunebook.results import ExperimentState


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
        (
            Rung(0, 1.0, ("a", "b"), (0.5, 0.3), (False, True), 0.5),
            Rung(0, 4.0, ("a",), (0.7,), (False,), None),
            Rung(1, 4.0, ("c",), (0.6,), (False,), None),
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
    assert any("stopped here" in t for t in texts)
    assert "2 trials, 1 stopped" in figure.layout.xaxis.ticktext[0]
