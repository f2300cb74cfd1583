"""Every option of a run, declared once: its name, its check, its default, which schedulers
take it (with their defaults), its help, and how ``%%tune`` writes it.

``tb.run``'s keywords, its signature and the Args of its docstring, ``%%tune``'s flags and
``%%tune?``, and the README's option list all come from :data:`OPTIONS` (a test compares the
README), so they cannot drift apart. A ``%%tune`` flag is the keyword with dashes
(``--grace-period``); the short and older flags (``-n``, ``--grace``) are aliases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tunebook.engine import _checks as checks
from tunebook.engine._checks import Check
from tunebook.errors import OptionError, did_you_mean

#: Where the experiment folders go without a storage_path (``default_storage``), in words.
DEFAULT_STORAGE = "$TUNEBOOK_RESULTS, else ~/tunebook_results"


@dataclass(frozen=True)
class Option:
    """One option of a run.

    Attributes:
        name: the keyword of ``tb.run``; ``%%tune``'s flag is it with dashes.
        help: one line, for ``%%tune?``, ``tb.run``'s docstring and the README.
        check: returns the value (checked) or raises ``OptionError``; not called on None.
        default: the value when not given (None: "not set"; a knob's default depends on
            the scheduler: ``defaults``).
        defaults: a knob's default per scheduler that takes it.
        cell: how ``%%tune`` writes it: ``int``, ``float``, ``str``, ``"flag"`` (on when
            given), ``"resources"`` (``"cpu=1,gpu=0.5"``), or None (Python only).
        flags: ``%%tune``'s other flags for it (short, older names).
        run: whether ``tb.run`` takes it (False: ``%%tune`` only).
        config: whether ``%config TuneMagic.<name>`` sets a default for the cells.
    """

    name: str
    help: str
    check: Check = checks.anything
    default: Any = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    cell: Any = str
    flags: tuple[str, ...] = ()
    run: bool = True
    config: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def schedulers(self) -> tuple[str, ...]:
        """The schedulers that take this knob (none: it is not a knob)."""
        return tuple(self.defaults)


OPTIONS = (
    Option("metric", "the metric to optimise, as the trial reports it", checks.text, config=True),
    Option(
        "mode", "max or min: whether more or less of the metric is better", checks.mode, config=True
    ),
    Option(
        "num_samples",
        "trials to sample (default 10; a space with nothing to sample, such as grid values "
        "only, runs once: each grid point once, each repeated this many times if given)",
        checks.samples,
        cell=int,
        flags=("-n", "--samples"),
        config=True,
    ),
    Option(
        "max_concurrent_trials",
        "at most this many trials at once (default: as many as the resources allow)",
        checks.count(1),
        cell=int,
        flags=("-c", "--concurrency"),
        config=True,
    ),
    Option(
        "scheduler",
        "fifo, asha, hyperband, median, bohb, pbt or pb2 (or a Ray Tune TrialScheduler)",
        default="fifo",
        config=True,
    ),
    Option(
        "search",
        "random, grid, tpe, gp, qmc, cmaes, hyperopt, bohb or bayesopt (or a Ray Tune "
        "Searcher); gp, cmaes, hyperopt, bohb and bayesopt need pip install 'tunebook[NAME]'",
        default="random",
        config=True,
    ),
    Option(
        "max_t",
        "early stopping: the most iterations a trial runs",
        checks.positive,
        defaults={"asha": 100, "hyperband": 81, "bohb": 81},
        cell=int,
    ),
    Option(
        "grace_period",
        "early stopping: iterations before a trial can be stopped",
        checks.positive,
        defaults={"asha": 1, "median": 1},
        cell=int,
        flags=("--grace",),
    ),
    Option(
        "reduction_factor",
        "early stopping: each rung keeps 1/this of the trials",
        checks.reduction,
        defaults={"asha": 4, "hyperband": 3, "bohb": 3},
        cell=float,
    ),
    Option(
        "brackets", "ASHA: its number of brackets", checks.whole, defaults={"asha": 1}, cell=int
    ),
    Option(
        "perturbation_interval",
        "PBT/PB2: iterations between looks at the population",
        checks.positive,
        defaults={"pbt": 5, "pb2": 5},
        cell=int,
        flags=("--interval",),
    ),
    Option(
        "quantile_fraction",
        "PBT/PB2: the share at the bottom that clones the same share at the top",
        checks.quantile,
        defaults={"pbt": 0.25, "pb2": 0.25},
        cell=float,
        flags=("--quantile",),
    ),
    Option(
        "hyperparam_mutations",
        "PBT: Ray's mutations (default: every sampled parameter, kept within its bounds)",
        checks.mapping,
        defaults={"pbt": None},
        cell=None,
    ),
    Option(
        "hyperparam_bounds",
        "PB2: {name: [low, high]} (default: the space's numeric ranges)",
        checks.mapping,
        defaults={"pb2": None},
        cell=None,
    ),
    Option(
        "synch",
        "PBT/PB2: compare the whole population at each interval (members wait for each other)",
        checks.flag,
        defaults={"pbt": False, "pb2": False},
        cell="flag",
    ),
    Option(
        "resources_per_trial",
        'what each trial holds, e.g. {"cpu": 2, "gpu": 0.5} (%%tune: "cpu=2,gpu=0.5"); '
        "default one CPU",
        checks.resources,
        cell="resources",
        flags=("--resources",),
    ),
    Option(
        "adaptive_resources",
        "give the CPUs and GPUs that finished trials free to the trials still running",
        checks.flag,
        default=False,
        cell="flag",
    ),
    Option(
        "keep_checkpoints", "checkpoints kept per trial (default all)", checks.count(1), cell=int
    ),
    Option(
        "checkpoint_score",
        'which checkpoints to keep and use: the best by a metric ("acc", or "loss:min")',
        checks.score,
    ),
    Option("max_failures", "retry a failed trial this many times", checks.failures, 0, cell=int),
    Option(
        "time_budget_s",
        "stop the whole experiment after this many seconds",
        checks.positive,
        cell=float,
        flags=("--time-budget",),
        config=True,
    ),
    Option(
        "stop",
        "end a trial once a reported value reaches a number, as {'training_iteration': 10}, "
        "or when a ray.tune.Stopper or a function (trial_id, result) -> bool says so",
        checks.stop,
        cell=None,
    ),
    Option("seed", "seeds the search, for a repeatable choice of configs", checks.seed, cell=int),
    Option(
        "name",
        "the experiment's name and folder (default: objective and time)",
        checks.experiment_name,
    ),
    Option(
        "storage_path",
        f"the folder of experiment folders (default {DEFAULT_STORAGE})",
        checks.folder,
        config=True,
    ),
    Option(
        "address", "a Ray cluster to run on (default RAY_ADDRESS, else a local Ray)", checks.text
    ),
    Option(
        "with_parameters",
        "large objects the objective takes by keyword, sent through Ray's object store once",
        checks.mapping,
        cell=None,
    ),
    Option(
        "parent",
        "the previous stage of a coarse-to-fine search (an Experiment or Results)",
        cell=None,
    ),
    Option(
        "warm_start",
        "first evaluate the parent stage's best configs that fit this space",
        checks.flag,
        default=False,
        cell="flag",
    ),
    Option("wait", "block until the experiment ends", checks.flag, default=False, cell="flag"),
    Option(
        "detach",
        "run the driver outside the kernel (on a local Ray that outlives it, or the cluster): "
        "the run goes on when the kernel dies or restarts; tb.attach(name) follows it again",
        checks.flag,
        default=False,
        cell="flag",
    ),
    # %%tune only
    Option("out", "the variable to bind the Experiment to", flags=("-o",), run=False),
    Option("space", "a variable holding the search space (a dict or tb.Space)", run=False),
    Option(
        "refine",
        "coarse to fine: a previous stage's variable; the space is its refine()",
        run=False,
    ),
    Option("top", "with --refine: refine()'s top (default 0.2)", cell=float, run=False),
    Option("margin", "with --refine: refine()'s margin (default 0.25)", cell=float, run=False),
    Option("min_trials", "with --refine: refine()'s min_trials (default 5)", cell=int, run=False),
    Option("keep", "with --refine: parameters refine() keeps whole, a,b", run=False),
)
BY_NAME = {option.name: option for option in OPTIONS}
#: The options ``tb.run`` takes.
RUN_OPTIONS = tuple(option for option in OPTIONS if option.run)
#: The knobs: options that configure a scheduler chosen by name.
KNOBS = tuple(option for option in OPTIONS if option.schedulers)
#: Options that only the objective's caller knows (not settings of the run).
REQUIRED = ("metric", "mode")


def knobs_of(scheduler: str) -> tuple[str, ...]:
    """The knobs a scheduler (by name) takes."""
    return tuple(option.name for option in KNOBS if scheduler in option.defaults)


def checked(given: Mapping[str, Any], what: str = "tb.run") -> dict[str, Any]:
    """Every option of a run: ``given`` checked (unknown names get a "did you mean"), the
    others at their defaults. Knobs left out stay None (their default is the scheduler's).

    Raises:
        OptionError: an unknown option, a bad value, or a missing metric or mode.
    """
    known = [option.name for option in RUN_OPTIONS]
    for name in given:
        if name not in BY_NAME or not BY_NAME[name].run:
            raise OptionError(
                f"{what} has no option {name!r}.{_meant(name, known)} Its options: "
                f"{', '.join(known)}."
            )
    for name in REQUIRED:
        if given.get(name) is None:
            raise OptionError(f"{name} is required: {BY_NAME[name].help}.")
    values = {}
    for option in RUN_OPTIONS:
        value = given.get(option.name)
        value = option.default if value is None else value  # None given: the default
        values[option.name] = value if value is None else option.check(option.name, value)
    return values


def _meant(name: str, known: list[str]) -> str:
    """ " Did you mean 'x'?": the option whose %%tune alias this is (``grace`` is
    ``--grace``, so ``grace_period``), else the closest name."""
    flag = "--" + name.replace("_", "-")
    for option in RUN_OPTIONS:
        if flag in option.flags:
            return f" Did you mean {option.name!r}?"
    return did_you_mean(name, known)


def knob_value(knob: str, scheduler: str, given: Mapping[str, Any]) -> Any:
    """A knob's value for ``scheduler``: as given, else the scheduler's default."""
    value = given.get(knob)
    return BY_NAME[knob].defaults[scheduler] if value is None else value


def knob_defaults() -> dict[str, dict[str, Any]]:
    """``{scheduler: {knob: default}}`` for every scheduler that takes knobs (for help texts)."""
    out: dict[str, dict[str, Any]] = {}
    for option in KNOBS:
        for scheduler, default in option.defaults.items():
            out.setdefault(scheduler, {})[option.name] = default
    return out


def markdown_table() -> str:
    """The options as the README's table (a test checks that the README holds exactly this)."""
    rows = ["| `tb.run` keyword | `%%tune` flags | what it is (default) |", "|---|---|---|"]
    for option in OPTIONS:
        keyword = f"`{option.name}`" if option.run else "(`%%tune` only)"
        cell = (
            ", ".join(f"`{flag}`" for flag in (option.flag, *option.flags))
            if option.cell is not None
            else "(Python only)"
        )
        default = ", ".join(f"{s}: {d!r}" for s, d in option.defaults.items() if d is not None)
        if option.default is not None:
            default = repr(option.default)
        what = option.help.replace("|", "\\|") + (f" ({default})" if default else "")
        rows.append(f"| {keyword} | {cell} | {what} |")
    return "\n".join(rows)
