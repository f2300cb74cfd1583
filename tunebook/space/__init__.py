"""The search-space vocabulary.

Ray Tune's own domain objects are the canonical representation, so ``tune.loguniform(...)`` and
``tb.loguniform(...)`` are interchangeable everywhere. tunebook adds what Ray leaves out:

- validation at creation with messages that name the bad value and the rule
  (Ray accepts ``tune.uniform(2, 1)`` silently);
- :class:`Space`, an ordered mapping of parameter name to domain with a readable ``repr`` and
  ``_repr_html_``, a JSON round trip and a conversion to Optuna distributions.

Each parameter has one description (``spec(domain)``: ``{"type": "loguniform", "lower": ...}``),
read by every consumer: the event log, refine, importance, the editor, the searchers. Reading
a described space (a results folder) imports no Ray; making a domain does.

Example:
    >>> import tunebook as tb
    >>> space = tb.Space({"lr": tb.loguniform(1e-4, 1e-1), "depth": tb.randint(2, 10)})
    >>> space
    Space(lr=loguniform(0.0001, 0.1), depth=randint(2, 10))
"""

from tunebook.space._checks import describe_spec
from tunebook.space._domains import (
    build,
    choice,
    grid,
    is_grid,
    lograndint,
    loguniform,
    qloguniform,
    quniform,
    randint,
    randn,
    spec,
    uniform,
    validate_domain,
)
from tunebook.space._space import Space, describe

__all__ = [
    "Space",
    "build",
    "choice",
    "describe",
    "describe_spec",
    "grid",
    "is_grid",
    "lograndint",
    "loguniform",
    "qloguniform",
    "quniform",
    "randint",
    "randn",
    "spec",
    "uniform",
    "validate_domain",
]
