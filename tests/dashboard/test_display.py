"""Where the dashboard shows itself: in a real kernel (its shell ipykernel's, or derived from
it), a displayed Experiment or Results is its dashboard; a shell without a kernel shows no
widgets."""

from __future__ import annotations

import os
import sys

from jupyter_client.manager import KernelManager

from tunebook.dashboard import attach, shows_widgets

DERIVED = """
from ipykernel.ipkernel import IPythonKernel
from ipykernel.zmqshell import ZMQInteractiveShell
from traitlets import Type


class DerivedShell(ZMQInteractiveShell):
    '''A front end's own shell (Colab's derives from ipykernel's too).'''


class DerivedKernel(IPythonKernel):
    shell_class = Type(DerivedShell)
"""

PROBE = """
import tunebook, tunebook.dashboard as d
shell = get_ipython()
deferred = shell.display_formatter.mimebundle_formatter.deferred_printers
print(type(shell).__name__, d.shows_widgets(shell),
      ('tunebook.engine._experiment', 'Experiment') in deferred,
      ('tunebook.results._results', 'Results') in deferred)
"""


def run_in_kernel(code: str, tmp_path, kernel_class: str | None = None) -> str:
    (tmp_path / "derived_kernel.py").write_text(DERIVED)
    manager = KernelManager()
    extra = [f"--IPKernelApp.kernel_class={kernel_class}"] if kernel_class else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    manager.start_kernel(extra_arguments=extra, env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        out: list[str] = []

        def collect(message: dict) -> None:
            if message["msg_type"] == "stream":
                out.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                out.append("\n".join(message["content"]["traceback"]))

        client.execute_interactive(code, timeout=120, output_hook=collect)
        return "".join(out).strip()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_kernel_whose_shell_derives_from_ipykernels_shows_dashboards(tmp_path):
    shown = run_in_kernel(PROBE, tmp_path, "derived_kernel.DerivedKernel")
    assert shown == "DerivedShell True True True", shown


def test_a_shell_without_a_kernel_shows_no_widgets():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert not shows_widgets(shell) and not attach(shell)
