"""``%%tune`` and ``%tune``: tuning from a notebook cell.

The magic is thin: it parses the line (IPython ``magic_arguments``, its flags made from
``tunebook.engine.OPTIONS``) and the cell (:mod:`tunebook.cell`), then calls ``tb.run``.
Everything it does, the Python API does, under the same names.

Load it with ``%load_ext tunebook``; ``%%tune?`` shows the options.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from typing import Any

import pandas as pd
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Any as AnyTrait

from tunebook.cell import capture, parse_cell, trial_function
from tunebook.dashboard import shows_widgets
from tunebook.engine import OPTIONS, Experiment, attach, experiments, listing, resume, run
from tunebook.engine._algorithms import describe_knobs
from tunebook.engine._options import BY_NAME, Option
from tunebook.engine._train import is_trainer
from tunebook.errors import UserInputError, did_you_mean
from tunebook.results import LISTING, Results
from tunebook.space import Space

__all__ = ["MagicOptionError", "TuneMagic", "load_ipython_extension", "parse_resources"]

#: The options a cell writes; the refine knobs go to ``refine()``, not to ``tb.run``.
CELL_OPTIONS = tuple(option for option in OPTIONS if option.cell is not None)
REFINE_KNOBS = ("top", "margin", "min_trials", "keep")


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


def flags(option: Option) -> list[str]:
    """The option's flags on the line: its name with dashes first, then its aliases."""
    return [option.flag, *option.flags]


def _argument(option: Option) -> Any:
    keywords: dict[str, Any] = {"dest": option.name, "help": option.help}
    if option.cell == "flag":
        keywords.update(action="store_true", default=None)
    elif option.cell in (int, float):
        keywords["type"] = option.cell
    if option.name == "mode":
        keywords["choices"] = ["max", "min"]
    return argument(*flags(option), **keywords)


def _tune_help(function: Any) -> Any:
    """The ``%%tune`` magic function with its arguments from the options model (and each
    scheduler's knobs and defaults in its help)."""
    function.__doc__ = (function.__doc__ or "") + (
        "\n        The schedulers' knobs and their defaults:\n\n"
        + "\n".join(f"            {line}" for line in describe_knobs().splitlines())
        + "\n"
    )
    decorated = argument(
        "command",
        nargs="*",
        help="line magic only: FUNC (with --space), 'list', 'stop [NAME]', 'attach NAME' or "
        "'resume NAME'",
    )(function)
    for option in reversed(CELL_OPTIONS):
        decorated = _argument(option)(decorated)
    return magic_arguments()(decorated)


def _args(line: str, parser_owner: Any) -> Any:
    """Parse the magic's line as a shell would (``--resources "cpu=1,gpu=0.5"``: the quotes go,
    where IPython's own splitting keeps them in the value); unknown options get a close-match
    suggestion."""
    try:
        words = shlex.split(line)
    except ValueError as err:  # an unclosed quote
        raise MagicOptionError(f"the %%tune line does not parse: {err}: {line}") from None
    try:
        return parser_owner.parser.parse_args(words)
    except UsageError as err:
        message = str(err)
        known = [flag for option in CELL_OPTIONS for flag in flags(option)]
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


def _config_names(option: Option) -> list[str]:
    """``%config TuneMagic.<name>`` names of an option: its keyword, and its older long
    flags' names (``samples`` for ``--samples``)."""
    older = [f[2:].replace("-", "_") for f in option.flags if f.startswith("--")]
    return [option.name, *older]


def _configurable() -> dict[str, Any]:
    """``%config TuneMagic.<option> = value``: a default for the cells, per option that has
    one (the same name as ``tb.run``'s keyword, or its older flag's)."""
    return {
        name: AnyTrait(None, allow_none=True, help=f"Default of {option.flag}.").tag(config=True)
        for option in OPTIONS
        if option.config
        for name in _config_names(option)
    }


class _TuneMagic(Magics):
    """The ``tune`` magics. Defaults can be set with ``%config TuneMagic.<option> = value``."""

    @_tune_help
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
        ``--space VAR`` starts from a space held in a variable (the cell's space lines then
        replace or add single parameters), ``--refine VAR`` from a previous stage's
        ``refine()`` (with ``--top``, ``--margin``, ``--min-trials``, ``--keep``).
        The cell returns at once (the run goes on in the background) unless --wait. Every
        flag is ``tb.run``'s keyword of the same name.

        As a line magic: ``%tune FUNC --space SPACE [options]`` tunes a function defined
        elsewhere; ``%tune list`` lists this kernel's experiments and the storage folder's
        others; ``%tune stop [NAME]`` stops one (by name or variable), or every running one;
        ``%tune attach NAME`` follows a run whose driver is elsewhere (a detached run, another
        kernel: ``tb.attach``); ``%tune resume NAME`` resumes a run whose driver is gone
        (``tb.resume``).
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
                "%tune needs a command: %tune FUNC --space SPACE [options], %tune list, "
                "%tune stop [NAME], %tune attach NAME or %tune resume NAME. For a cell, write "
                "%%tune on its first line."
            )
        command, *rest = args.command
        if command == "list":
            return self._list()
        if command == "stop":
            return self._stop(rest[0] if rest else None)
        if command in ("attach", "resume"):
            if len(rest) != 1:
                raise MagicOptionError(f"%tune {command} NAME: the experiment's name or folder.")
            follow = attach if command == "attach" else resume
            return follow(rest[0], storage_path=getattr(self, "storage_path", None))
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
        """``tb.run``'s keywords from the line (and the ``%config`` defaults)."""
        options: dict[str, Any] = {}
        for option in CELL_OPTIONS:
            if not option.run:
                continue
            value = getattr(args, option.name)
            for name in _config_names(option) if option.config and value is None else ():
                value = getattr(self, name) if value is None else value
            if value is None:
                continue
            options[option.name] = parse_resources(value) if option.cell == "resources" else value
        for name, example in (("metric", "'acc'"), ("mode", "'max'")):
            if not options.get(name):  # before the cell is read: it needs the metric
                raise MagicOptionError(
                    f"--{name} is required: {BY_NAME[name].help} (or set a default with "
                    f"%config TuneMagic.{name} = {example})."
                )
        return options

    def _out_name(self, args: Any) -> tuple[str, bool]:
        if args.out:
            if not args.out.isidentifier():
                raise MagicOptionError(f"-o {args.out!r} is not a Python variable name.")
            return args.out, True
        n = 1
        while f"exp{n}" in self._namespace:
            n += 1
        return f"exp{n}", False

    def _launch(self, args: Any, objective: Any, space: Any, **extra: Any) -> Experiment | None:
        out, chosen = self._out_name(args)
        options = {**self._options(args), **extra}
        wait = options.pop("wait", False)
        notice = _ray_start_notice(options.get("address"))
        try:
            experiment = run(objective, space, **options)
        finally:
            if notice is not None:  # Ray is up (or failed to start, with its error below)
                notice.update({"text/plain": ""}, raw=True)
        self._namespace[out] = experiment  # bound before waiting: an interrupt leaves it there
        if not chosen:
            print(f"The experiment is in `{out}` (choose the name with -o NAME).")
        if wait and shows_widgets(self.shell):  # the live dashboard while the cell blocks
            from IPython.display import display

            display(experiment)
            experiment.wait(quiet=True)
            return None  # shown already
        if wait:
            experiment.wait()  # a progress line says what it waits for
        return experiment

    def _base_space(self, args: Any) -> tuple[Any, Space | None]:
        """The space a run starts from before the cell's own lines: ``--refine VAR``'s
        refined space, with ``--space VAR``'s parameters over it; and the parent stage."""
        parent, base = self._parent(args)
        if args.space is None:
            return parent, base
        space = self._namespace.get(args.space)
        if not isinstance(space, dict | Space):
            found = "is not defined" if args.space not in self._namespace else "is not a dict"
            raise MagicOptionError(
                f"--space {args.space}: {args.space} {found}; it must hold the search space, "
                'e.g. {"lr": tb.loguniform(1e-4, 1e-1)}, or a tb.Space.'
            )
        return parent, Space({**dict(base or {}), **dict(space)})

    def _run_cell(self, args: Any, text: str) -> Experiment | None:
        options = self._options(args)  # checks --metric and --mode before the cell
        namespace = self._namespace
        parent, base = self._base_space(args)
        cell = parse_cell(text, options["metric"], namespace=namespace, base=base)
        captured = capture(cell, namespace)
        objective = trial_function(cell, captured)
        objective.__name__ = args.out or "tune_cell"
        extra: dict[str, Any] = {"with_parameters": captured.large} if captured.large else {}
        if parent is not None:
            extra["parent"] = parent
        return self._launch(args, objective, cell.space, **extra)

    def _parent(self, args: Any) -> tuple[Any, Space | None]:
        """``--refine NAME``: the previous stage (an Experiment or Results in the notebook)
        and the space it refines to, with the line's refine knobs."""
        knobs = {k: getattr(args, k) for k in REFINE_KNOBS if getattr(args, k) is not None}
        if args.refine is None:
            if args.warm_start:
                raise MagicOptionError("--warm-start goes with --refine NAME (the coarse stage).")
            if knobs:
                flag = next(o.flag for o in OPTIONS if o.name in knobs)
                raise MagicOptionError(f"{flag} goes with --refine NAME (the coarse stage).")
            return None, None
        parent = self._namespace.get(args.refine)
        results = getattr(parent, "results", parent)
        if not isinstance(results, Results):
            found = "is not defined" if parent is None else f"is a {type(parent).__name__}"
            raise MagicOptionError(
                f"--refine {args.refine}: {args.refine} {found}; it must be the previous "
                "stage (the Experiment that -o bound, or its Results)."
            )
        if "keep" in knobs:
            knobs["keep"] = [name.strip() for name in knobs["keep"].split(",") if name.strip()]
        return parent, results.refine(**knobs)

    def _run_function(self, args: Any, name: str) -> Experiment | None:
        namespace = self._namespace
        if name not in namespace:
            close = did_you_mean(name, [k for k in namespace if not k.startswith("_")])
            raise MagicOptionError(f"%tune {name}: the notebook defines no {name!r}.{close}")
        objective = namespace[name]
        if not callable(objective) and not is_trainer(objective):
            raise MagicOptionError(
                f"%tune {name}: {name} is neither a function nor a Ray Train trainer."
            )
        parent, space = self._base_space(args)
        if space is None:
            raise MagicOptionError(
                f"%tune {name} needs --space VAR: the variable holding the search space "
                "(or --refine NAME: the space refined from a previous stage)."
            )
        extra = {"parent": parent} if parent is not None else {}
        return self._launch(args, objective, space, **extra)

    # -- managing --------------------------------------------------------------------------

    def _list(self) -> pd.DataFrame:
        """``tb.experiments()``, with the variables that hold this kernel's experiments."""
        held: dict[str, list[str]] = {}
        for key, value in self._namespace.items():
            if isinstance(value, Experiment) and not key.startswith("_"):
                held.setdefault(str(value.path), []).append(key)
        rows = listing(getattr(self, "storage_path", None))  # the magic's default storage
        table = pd.DataFrame(rows, columns=list(LISTING))
        table.insert(1, "variable", [", ".join(held.get(str(p), [])) for p in table["path"]])
        return table

    def _stop(self, name: str | None) -> None:
        everything = experiments()
        if name is None:
            running = [e for e in everything if not e.done]
            for experiment in running:
                experiment.stop(via="%tune stop")
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
        chosen.stop(via="%tune stop")
        print(f"Stopping {chosen.name}.")


TuneMagic = magics_class(type("TuneMagic", (_TuneMagic,), _configurable()))


def load_ipython_extension(shell: InteractiveShell) -> None:
    """``%load_ext tunebook``: register ``%%tune`` / ``%tune`` and ``%config TuneMagic``, and
    show experiments as their live dashboards (in a kernel)."""
    from tunebook.dashboard import attach

    magics = TuneMagic(shell=shell)
    shell.register_magics(magics)
    if magics not in shell.configurables:
        shell.configurables.append(magics)
    attach(shell)


def _ray_start_notice(address: str | None) -> Any:
    """When this kernel has no Ray yet, say that it is starting (or connecting), in the cell's
    output, until the run is launched: a first run waits seconds for Ray, and should not look
    hung. Returns the notice's display handle, or None when Ray is already there."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return None
    from IPython.display import display

    address = address or os.environ.get("RAY_ADDRESS")
    text = (
        f"Connecting to Ray at {address}..."
        if address
        else "Starting a local Ray (127.0.0.1 only, no dashboard): the first run in a kernel "
        "waits a few seconds for it..."
    )
    bundle = {"text/plain": text, "text/html": f"<i class='tunebook-starting'>{text}</i>"}
    return display(bundle, raw=True, display_id=True)
