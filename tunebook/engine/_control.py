"""Stop flags set from the notebook and read by Ray Tune's loop, and the user's own stop
criteria combined with them."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ray.tune import Stopper

from tunebook.errors import OptionError

#: The controls of the runs being resumed in this process, by experiment folder.
LIVE: dict[str, StopControl] = {}


class StopControl(Stopper):
    """A Ray Tune ``Stopper`` whose flags another thread sets.

    Ray Tune checks ``stop_all()`` on every step of its loop (a whole-experiment stop takes
    effect within ~0.1 s) and ``__call__`` on every result (a trial stops at its next report).

    ``Tuner()`` pickles its stopper, and locks cannot be pickled, so the pickled state is the
    flags alone. The driver keeps using this very object (Ray copies ``run_config`` shallowly),
    so flags set after ``fit()`` started do reach the loop.

    A resumed run's Ray controller unpickles the stopper of the run that died, over the one it
    was given: ``run`` (the experiment folder) names it, and one unpickled while a resume of
    that run is live (:data:`LIVE`) becomes that resume's control, the same flags.
    """

    def __init__(self, run: str | None = None) -> None:
        self.run = run
        self._all = threading.Event()
        self._lock = threading.Lock()
        self._trials: set[str] = set()
        self.failure: Exception | None = None  # why tunebook itself ended the run
        self._met: set[str] = set()  # trials that reached the user's own stop criteria

    def criteria_met(self, trial_id: str) -> None:
        with self._lock:
            self._met.add(trial_id)

    def met_criteria(self, trial_id: str) -> bool:
        """Whether the trial ended because it reached the run's own stop criteria."""
        with self._lock:
            return trial_id in self._met

    def fail(self, error: Exception) -> None:
        """End the experiment as failed, with ``error`` as the reason."""
        if self.failure is None:
            self.failure = error
        self._all.set()

    def request_stop_all(self) -> None:
        self._all.set()

    def request_stop_trial(self, trial_id: str) -> None:
        with self._lock:
            self._trials.add(trial_id)

    @property
    def stopping_all(self) -> bool:
        return self._all.is_set()

    def was_stopped(self, trial_id: str) -> bool:
        """Whether the user asked to stop this trial (alone or with the whole experiment)."""
        with self._lock:
            return trial_id in self._trials or (self._all.is_set() and self.failure is None)

    # Ray Tune's Stopper interface
    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        with self._lock:
            return trial_id in self._trials

    def stop_all(self) -> bool:
        return self._all.is_set()

    # pickling: flags only
    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {
                "run": self.run,
                "trials": sorted(self._trials),
                "all": self._all.is_set() and not self.failure,
                "met": sorted(self._met),
            }

    def __setstate__(self, state: dict[str, Any]) -> None:
        live = LIVE.get(state.get("run") or "")
        if live is not None:  # a resume of this run: its control, whatever the dead one said
            self.__dict__ = live.__dict__
            return
        self.__init__(state.get("run"))  # type: ignore[misc]
        self._trials = set(state["trials"])
        self._met = set(state.get("met", []))
        if state["all"]:
            self._all.set()


class _CriteriaStopper:
    """Ray Tune's dict stop criteria (``{"training_iteration": 10}``: stop a trial once a
    result reaches any value) as a Stopper, so that it can be combined with tunebook's."""

    def __init__(self, criteria: Mapping[str, Any]) -> None:
        self.criteria = dict(criteria)

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        from ray.tune.utils import flatten_dict

        flat = flatten_dict(result)
        return any(
            key in flat and flat[key] is not None and flat[key] >= value
            for key, value in self.criteria.items()
        )

    def stop_all(self) -> bool:
        return False


class _Witnessed(Stopper):
    """The user's own stop criteria, noting in the StopControl which trials they ended (so
    those count as terminated, not as stopped early by a scheduler)."""

    def __init__(self, stopper: Any, control: StopControl) -> None:
        self.stopper = stopper
        self.control = control

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        if self.stopper(trial_id, result):
            self.control.criteria_met(trial_id)
            return True
        return False

    def stop_all(self) -> bool:
        return bool(getattr(self.stopper, "stop_all", lambda: False)())


def with_control(stop: Any, control: StopControl) -> Any:
    from ray.tune.stopper import CombinedStopper

    if stop is None:
        return control
    if isinstance(stop, Mapping):
        stop = _CriteriaStopper(stop)
    elif not isinstance(stop, Stopper) and not callable(stop):
        raise OptionError(f"RunConfig(stop={stop!r}) is neither a dict, a Stopper nor a function.")
    return CombinedStopper(_Witnessed(stop, control), control)


def control_fields(command: str, via: str, trial_id: str | None = None) -> dict[str, Any]:
    """The fields of a ``control`` event: a stop asked for from here, by ``via`` (what the
    user used: "tunebook stop", "Experiment.stop", the dashboard's button)."""
    import uuid

    from tunebook.engine._kept import driver

    fields: dict[str, Any] = {"command": command, "id": uuid.uuid4().hex[:12]}
    if trial_id is not None:
        fields["trial_id"] = trial_id
    fields["from"] = {**driver(), "via": via}
    return fields
