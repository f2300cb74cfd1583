"""Pure functions from the fold of an experiment's events (``tunebook.results``) to plotly
figures.

Every figure is a data step (``*_info`` -> a NamedTuple, compared exactly in tests) and a draw
step (``*_figure(info)`` -> ``go.Figure``). The live dashboard and the static report use the
same steps. No widgets, no Ray. Every figure follows its container's width (``autosize``), and
writes numbers to four significant digits (:func:`number_text`, :data:`NUMBER_FORMAT`).
"""

from tunebook.figures._curves import (
    MARKERS_UP_TO,
    Curve,
    CurvesInfo,
    ExploitMark,
    curve_hover,
    curve_style,
    curves_figure,
    curves_info,
    curves_layout,
    curves_legend,
    exploit_marks,
    exploits_trace,
    points,
)
from tunebook.figures._history import HistoryInfo, history_figure, history_info
from tunebook.figures._importance import (
    ImportanceInfo,
    Slice,
    importance_figure,
    importance_info,
)
from tunebook.figures._lineage import Edge, LineageInfo, Stretch, lineage_figure, lineage_info
from tunebook.figures._numbers import NUMBER_FORMAT, hover_number, number_text
from tunebook.figures._parallel import Axis, ParallelInfo, log_ticks, parallel_figure, parallel_info
from tunebook.figures._report import importances, report_html, write_report
from tunebook.figures._rungs import Rung, RungsInfo, rungs_figure, rungs_info
from tunebook.figures._status import STATUS_STYLES, StatusStyle, status_style
from tunebook.figures._table import TableInfo, table_html, table_info
from tunebook.results import register_views

__all__ = [
    "MARKERS_UP_TO",
    "NUMBER_FORMAT",
    "STATUS_STYLES",
    "Axis",
    "Curve",
    "CurvesInfo",
    "Edge",
    "ExploitMark",
    "HistoryInfo",
    "ImportanceInfo",
    "LineageInfo",
    "ParallelInfo",
    "Slice",
    "Rung",
    "RungsInfo",
    "StatusStyle",
    "Stretch",
    "TableInfo",
    "curve_hover",
    "curve_style",
    "curves_figure",
    "curves_info",
    "curves_layout",
    "curves_legend",
    "exploit_marks",
    "exploits_trace",
    "points",
    "history_figure",
    "history_info",
    "hover_number",
    "importance_figure",
    "importance_info",
    "importances",
    "lineage_figure",
    "lineage_info",
    "log_ticks",
    "number_text",
    "parallel_figure",
    "parallel_info",
    "report_html",
    "rungs_figure",
    "rungs_info",
    "status_style",
    "table_html",
    "table_info",
    "write_report",
]

# What ``Results.plot(kind)`` draws (results cannot import figures: figures registers its
# views there).
register_views(
    {
        "curves": lambda results: curves_figure(curves_info(results.state)),
        "history": lambda results: history_figure(history_info(results.state)),
        "rungs": lambda results: rungs_figure(rungs_info(results.state)),
        "lineage": lambda results: lineage_figure(lineage_info(results.state)),
        "parallel": lambda results: parallel_figure(parallel_info(results.state)),
        "importance": lambda results: importance_figure(
            importance_info(results.state, importances(results))
        ),
    }
)
