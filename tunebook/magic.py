"""``%%tune`` and ``%tune``: tuning from a notebook cell.

The magic is thin: it parses the line (IPython ``magic_arguments``) and the cell
(:mod:`tunebook.cell`), then calls ``tb.run``. Everything it does, the Python API does.

Load it with ``%load_ext tunebook``; ``%%tune?`` shows the options.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pandas as pd
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Float, Int, Unicode

from tunebook.cell import capture, parse_cell, trial_function
from tunebook.engine import Experiment, experiments, run
from tunebook.engine._train import is_trainer
from tunebook.errors import UserInputError, did_you_mean
from tunebook.results import Results
from tunebook.space import Space

__all__ = ["MagicOptionError", "TuneMagic", "load_ipython_extension", "parse_resources"]


class MagicOptionError(UserInputError, ValueError):
    """A bad option on the ``%%tune`` / ``%tune`` line."""


def parse_resources(text: str) -> dict[str, float]:
    """``"cpu=1,gpu=0.5"`` -> ``{"cpu": 1.0, "gpu": 0.5}``.

    Example:
        >>> parse_resources("cpu=2, gpu=0.5")
        {'cpu': 2.0, 'gpu': 0.5}
    """
    resources: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            resources[key.strip()] = float(value)
        except ValueError:
            raise MagicOptionError(
                f"--resources {text!r}: write name=amount pairs separated by commas, "
                'such as "cpu=1,gpu=0.5".'
            ) from None
    if not resources:
        raise MagicOptionError('--resources is empty: write for instance "cpu=1,gpu=0.5".')
    return resources


def _args(line: str, parser_owner: Any) -> Any:
    """Parse the magic's line; unknown options get a close-match suggestion."""
    try:
        return parse_argstring(parser_owner, line)
    except UsageError as err:
        message = str(err)
        parser = parser_owner.parser
        known = [s for action in parser._actions for s in action.option_strings]
        unknown = re.search(r"unrecognized arguments: (.*)", message)
        if unknown:
            words = [w for w in shlex.split(unknown.group(1)) if w.startswith("-")]
            if words:
                word = words[0].split("=")[0]
                raise MagicOptionError(
                    f"unknown option {word}.{did_you_mean(word, known)} See %%tune? for "
                    "every option."
                ) from None
        raise MagicOptionError(f"{message}. See %%tune? for every option.") from None


@magics_class
class TuneMagic(Magics):
    """The ``tune`` magics. Defaults can be set with ``%config TuneMagic.<name> = value``."""

    samples = Int(10, help="Trials to sample (-n).").tag(config=True)
    metric = Unicode(None, allow_none=True, help="Default --metric.").tag(config=True)
    mode = Unicode(None, allow_none=True, help="Default --mode: max or min.").tag(config=True)
    scheduler = Unicode("fifo", help="Default --scheduler.").tag(config=True)
    search = Unicode("random", help="Default --search.").tag(config=True)
    concurrency = Int(None, allow_none=True, help="Default -c/--concurrency.").tag(config=True)
    time_budget = Float(None, allow_none=True, help="Default --time-budget (s).").tag(config=True)
    storage_path = Unicode(
        None, allow_none=True, help="Where experiment folders go (default ~/tunebook_results)."
    ).tag(config=True)

    @magic_arguments()
    @argument(
        "command",
        nargs="*",
        help="line magic only: FUNC (with --space), 'list', or 'stop [NAME]'",
    )
    @argument("-n", "--samples", type=int, help="trials to sample (default 10)")
    @argument("--metric", help="the metric to optimise, as the trial reports it")
    @argument("--mode", choices=["max", "min"], help="max or min")
    @argument("-c", "--concurrency", type=int, help="at most this many trials at once")
    @argument("--scheduler", help="fifo, asha, hyperband, median, bohb, pbt or pb2")
    @argument("--max-t", type=int, help="early stopping: most iterations a trial runs")
    @argument("--grace", type=int, help="early stopping: iterations before any stop")
    @argument("--reduction-factor", type=float, help="early stopping: keep 1/this per rung")
    @argument("--brackets", type=int, help="ASHA: number of brackets (default 1)")
    @argument("--interval", type=int, help="PBT/PB2: iterations between exploits (default 5)")
    @argument("--quantile", type=float, help="PBT/PB2: share that clones the top (0.25)")
    @argument("--synch", action="store_true", help="PBT/PB2: synchronous (whole population)")
    @argument("--keep-checkpoints", type=int, help="checkpoints kept per trial (default all)")
    @argument("--checkpoint-score", help='which checkpoints to keep: "acc" or "loss:min"')
    @argument("--search", help="random, grid, tpe, gp, qmc, cmaes, hyperopt, bohb or bayesopt")
    @argument("--resources", help='per trial, e.g. "cpu=1,gpu=0.5"')
    @argument(
        "--adaptive-resources",
        action="store_true",
        help="give the CPUs of finished trials to the running ones",
    )
    @argument("--max-failures", type=int, help="retry a failed trial this many times")
    @argument("--time-budget", type=float, help="stop the experiment after this many seconds")
    @argument("--seed", type=int, help="seed of the search")
    @argument("--name", help="the experiment's name (and folder)")
    @argument("-o", "--out", help="the variable to bind the Experiment to")
    @argument("--wait", action="store_true", help="block until the experiment ends")
    @argument("--address", help="a Ray cluster's address (default: local Ray)")
    @argument("--space", help="line magic: the variable holding the search space")
    @argument("--refine", help="coarse to fine: the previous stage's variable (its refine())")
    @argument("--warm-start", action="store_true", help="with --refine: its best configs first")
    @line_cell_magic
    def tune(self, line: str, cell: str | None = None) -> Any:
        """Tune hyperparameters on Ray Tune from a notebook cell.

        As a cell magic, the leading ``NAME = <space call>`` lines are the search space
        (``loguniform(1e-4, 1e-1)``, ``randint(2, 10)``, ``choice([...])``, ``grid([...])``,
        bare or as ``tune.X`` / ``tb.X``), the rest is the trial body, where each parameter is
        a local variable and ``report(**metrics)`` reports an iteration::

            %%tune -n 40 --metric acc --mode max --scheduler asha --max-t 20 -o coarse
            lr = loguniform(1e-4, 1e-1)
            depth = randint(2, 10)
            model = make_model(lr=lr, depth=depth)
            for epoch in range(20):
                report(acc=model.fit_epoch(X, y))

        A body without ``report`` that assigns the metric reports it once at the end.
        The cell returns at once (the run goes on in the background) unless --wait.

        As a line magic: ``%tune FUNC --space SPACE [options]`` tunes a function defined
        elsewhere; ``%tune list`` lists this kernel's experiments; ``%tune stop [NAME]``
        stops one (by name or variable), or every running one.
        """
        args = _args(line, self.tune)
        if cell is not None:
            if args.command:
                raise MagicOptionError(
                    f"%%tune takes options only, not {' '.join(args.command)!r}. See %%tune?."
                )
            return self._run_cell(args, cell)
        if not args.command:
            raise MagicOptionError(
                "%tune needs a command: %tune FUNC --space SPACE [options], %tune list, or "
                "%tune stop [NAME]. For a cell, write %%tune on its first line."
            )
        command, *rest = args.command
        if command == "list":
            return self._list()
        if command == "stop":
            return self._stop(rest[0] if rest else None)
        if rest:
            raise MagicOptionError(f"%tune {command}: unexpected {' '.join(rest)!r}.")
        return self._run_function(args, command)

    @property
    def _namespace(self) -> dict[str, Any]:
        """The notebook's variables."""
        assert self.shell is not None, "TuneMagic needs an IPython shell"
        namespace: dict[str, Any] = self.shell.user_ns
        return namespace

    # -- running ---------------------------------------------------------------------------

    def _options(self, args: Any) -> dict[str, Any]:
        metric = args.metric or self.metric
        mode = args.mode or self.mode
        if not metric:
            raise MagicOptionError(
                "--metric is required: the metric to optimise, as the trial reports it "
                "(or set a default with %config TuneMagic.metric = 'acc')."
            )
        if not mode:
            raise MagicOptionError(
                f"--mode is required: max or min for {metric!r} (or set a default with "
                "%config TuneMagic.mode = 'max')."
            )
        samples = args.samples if args.samples is not None else self.samples
        return {
            "metric": metric,
            "mode": mode,
            "num_samples": samples,
            "max_concurrent_trials": args.concurrency or self.concurrency,
            "scheduler": args.scheduler or self.scheduler,
            "search": args.search or self.search,
            "max_t": args.max_t,
            "grace_period": args.grace,
            "reduction_factor": args.reduction_factor,
            "brackets": args.brackets,
            "perturbation_interval": args.interval,
            "quantile_fraction": args.quantile,
            "synch": True if args.synch else None,
            "keep_checkpoints": args.keep_checkpoints,
            "checkpoint_score": args.checkpoint_score,
            "adaptive_resources": args.adaptive_resources,
            "max_failures": args.max_failures or 0,
            "resources_per_trial": parse_resources(args.resources) if args.resources else None,
            "time_budget_s": args.time_budget or self.time_budget,
            "seed": args.seed,
            "name": args.name,
            "storage_path": self.storage_path,
            "address": args.address,
        }

    def _out_name(self, args: Any) -> tuple[str, bool]:
        if args.out:
            if not args.out.isidentifier():
                raise MagicOptionError(f"-o {args.out!r} is not a Python variable name.")
            return args.out, True
        n = 1
        while f"exp{n}" in self._namespace:
            n += 1
        return f"exp{n}", False

    def _launch(self, args: Any, objective: Any, space: Any, **extra: Any) -> Experiment:
        out, chosen = self._out_name(args)
        experiment = run(objective, space, **self._options(args), **extra)
        self._namespace[out] = experiment
        if not chosen:
            print(f"The experiment is in `{out}` (choose the name with -o NAME).")
        if args.wait:
            experiment.wait()
        return experiment

    def _run_cell(self, args: Any, text: str) -> Experiment:
        options = self._options(args)  # checks --metric and --mode before the cell
        namespace = self._namespace
        parent, base = self._parent(args)
        cell = parse_cell(text, options["metric"], namespace=namespace, base=base)
        captured = capture(cell, namespace)
        objective = trial_function(cell, captured)
        objective.__name__ = args.out or "tune_cell"
        return self._launch(
            args,
            objective,
            cell.space,
            with_parameters=captured.large,
            parent=parent,
            warm_start=args.warm_start,
        )

    def _parent(self, args: Any) -> tuple[Any, Space | None]:
        """``--refine NAME``: the previous stage (an Experiment or Results in the notebook)
        and the space it refines to."""
        if args.refine is None:
            if args.warm_start:
                raise MagicOptionError("--warm-start goes with --refine NAME (the coarse stage).")
            return None, None
        parent = self._namespace.get(args.refine)
        results = getattr(parent, "results", parent)
        if not isinstance(results, Results):
            found = "is not defined" if parent is None else f"is a {type(parent).__name__}"
            raise MagicOptionError(
                f"--refine {args.refine}: {args.refine} {found}; it must be the previous "
                "stage (the Experiment that -o bound, or its Results)."
            )
        return parent, results.refine()

    def _run_function(self, args: Any, name: str) -> Experiment:
        namespace = self._namespace
        if name not in namespace:
            close = did_you_mean(name, [k for k in namespace if not k.startswith("_")])
            raise MagicOptionError(f"%tune {name}: the notebook defines no {name!r}.{close}")
        objective = namespace[name]
        if not callable(objective) and not is_trainer(objective):
            raise MagicOptionError(
                f"%tune {name}: {name} is neither a function nor a Ray Train trainer."
            )
        parent, base = self._parent(args)
        if not args.space and base is not None:
            return self._launch(args, objective, base, parent=parent, warm_start=args.warm_start)
        if not args.space:
            raise MagicOptionError(
                f"%tune {name} needs --space VAR: the variable holding the search space "
                "(or --refine NAME: the space refined from a previous stage)."
            )
        space = namespace.get(args.space)
        if not isinstance(space, dict | Space):
            found = "is not defined" if args.space not in namespace else "is not a dict"
            raise MagicOptionError(
                f"--space {args.space}: {args.space} {found}; it must hold the search space, "
                'e.g. {"lr": tb.loguniform(1e-4, 1e-1)}.'
            )
        if base is not None:  # --space overrides single parameters of the refined space
            space = Space({**dict(base), **dict(space)})
        return self._launch(args, objective, space, parent=parent, warm_start=args.warm_start)

    # -- managing --------------------------------------------------------------------------

    def _list(self) -> pd.DataFrame:
        rows = []
        for experiment in experiments():
            results = experiment.snapshot()
            progress = results.progress()
            variables = [
                k for k, v in self._namespace.items() if v is experiment and not k.startswith("_")
            ]
            rows.append(
                {
                    "name": experiment.name,
                    "variable": ", ".join(variables),
                    "status": experiment.status,
                    "trials": len(results),
                    "metric": results.metric,
                    "best": progress.best,
                    "elapsed_s": round(progress.elapsed, 1),
                    "path": str(experiment.path),
                }
            )
        columns = ["name", "variable", "status", "trials", "metric", "best", "elapsed_s", "path"]
        return pd.DataFrame(rows, columns=columns)

    def _stop(self, name: str | None) -> None:
        everything = experiments()
        if name is None:
            running = [e for e in everything if not e.done]
            for experiment in running:
                experiment.stop()
            print(f"Stopping {len(running)} running experiment(s).")
            return
        chosen = self._namespace.get(name)
        if not isinstance(chosen, Experiment):
            matches = [e for e in everything if e.name == name]
            chosen = matches[-1] if matches else None
        if chosen is None:
            names = [e.name for e in everything]
            raise MagicOptionError(
                f"%tune stop {name}: no experiment of that name or variable."
                f"{did_you_mean(name, names)}"
            )
        chosen.stop()
        print(f"Stopping {chosen.name}.")


def load_ipython_extension(shell: InteractiveShell) -> None:
    """``%load_ext tunebook``: register ``%%tune`` / ``%tune`` and ``%config TuneMagic``."""
    magics = TuneMagic(shell=shell)
    shell.register_magics(magics)
    if magics not in shell.configurables:
        shell.configurables.append(magics)  # type: ignore[arg-type]
