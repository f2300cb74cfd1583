"""Pure functions from the fold of an experiment's events (``tunebook.results``) to plotly
figures.

Every figure is a data step (``*_info`` -> a NamedTuple, compared exactly in tests) and a draw
step (``*_figure(info)`` -> ``go.Figure``). The live dashboard and the static report use the
same steps. No widgets, no Ray.
"""

from tunebook.figures._curves import (
    STATUS_COLORS,
    Curve,
    CurvesInfo,
    curve_style,
    curves_figure,
    curves_info,
    curves_layout,
)
from tunebook.figures._importance import (
    ImportanceInfo,
    Slice,
    importance_figure,
    importance_info,
)
from tunebook.figures._lineage import Edge, LineageInfo, Stretch, lineage_figure, lineage_info
from tunebook.figures._parallel import Axis, ParallelInfo, parallel_figure, parallel_info
from tunebook.figures._report import importances, report_html, write_report
from tunebook.figures._rungs import Rung, RungsInfo, rungs_figure, rungs_info
from tunebook.figures._table import TableInfo, table_html, table_info

__all__ = [
    "STATUS_COLORS",
    "Axis",
    "Curve",
    "CurvesInfo",
    "Edge",
    "ImportanceInfo",
    "LineageInfo",
    "ParallelInfo",
    "Slice",
    "Rung",
    "RungsInfo",
    "Stretch",
    "TableInfo",
    "curve_style",
    "curves_figure",
    "curves_info",
    "curves_layout",
    "importance_figure",
    "importance_info",
    "importances",
    "lineage_figure",
    "lineage_info",
    "parallel_figure",
    "parallel_info",
    "report_html",
    "rungs_figure",
    "rungs_info",
    "table_html",
    "table_info",
    "write_report",
]
