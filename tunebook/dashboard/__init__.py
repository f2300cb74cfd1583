"""The live dashboard: ipywidgets and plotly ``FigureWidget`` views over the event log."""

from tunebook.dashboard._dashboard import CHUNK, Dashboard
from tunebook.dashboard._throttle import Throttle

__all__ = ["CHUNK", "Dashboard", "Throttle"]
