"""Re-run a notebook with parameters (papermill) and export it as self-contained HTML.

>>> from forecast.notebook import execute_notebook
>>> execute_notebook(  # doctest: +SKIP
...     "notebooks/ukraine_2022.ipynb",
...     "out/report",
...     {"priors": Path("other/priors.yaml"), "evidence": Path("other/evidence")},
... )
(PosixPath('out/report/ukraine_2022.ipynb'), PosixPath('out/report/ukraine_2022.html'))

The notebooks in ``notebooks/`` begin with a cell tagged ``parameters`` (``priors``,
``evidence``, ``out``, ``seed``); papermill inserts a cell after it with the values given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import InputError, NotebookError
from .outdir import atomic_write

__all__ = ["BRIEFING", "NotebookError", "briefing_notebook", "execute_notebook", "html_export"]

BRIEFING = Path("notebooks") / "briefing.ipynb"
"""The default notebook of ``forecast report --notebook``: a brief for any question."""


def briefing_notebook() -> Path:
    """``notebooks/briefing.ipynb`` of the current folder, else of the forecast checkout."""
    if BRIEFING.is_file():
        return BRIEFING
    return Path(__file__).resolve().parent.parent / BRIEFING


def _parameter(value: Any) -> Any:
    return str(Path(value).absolute()) if isinstance(value, os.PathLike) else value


def html_export(notebook: Any, *, code: bool = True) -> str:
    """Return a notebook (a ``NotebookNode`` or a path) as one self-contained, static HTML page.

    JupyterLab's look (nbconvert's ``lab`` template); images are embedded as ``data:``
    URIs. Widgets are shown by their static snapshot (the what-if panel's headline and
    timeline). The page runs no script and loads nothing: every ``<script>`` element is
    removed and a Content-Security-Policy (``forecast.report.CSP``) forbids scripts and
    remote loads, so that markup which reached an output (e.g. analyst text in an unescaped
    table) stays inert. ``code=False`` leaves out the code cells' source and the prompts (a
    briefing to send: the text, tables and charts).

    Examples
    --------
    >>> Path("brief.html").write_text(html_export("out/ukraine_2022.ipynb", code=False))  # doctest: +SKIP
    """
    import nbformat
    from nbconvert import HTMLExporter

    from .report import CSP

    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    notebook = nbformat.from_dict(notebook)  # a copy: the caller's notebook is not changed
    notebook.metadata.pop("widgets", None)  # no widget state: no widget manager from a CDN
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data and len(data) > 1:
                del data["application/vnd.jupyter.widget-view+json"]
    exporter = HTMLExporter(
        template_name="lab",
        embed_images=True,
        exclude_input=not code,
        exclude_input_prompt=not code,
        exclude_output_prompt=not code,
    )
    body, _ = exporter.from_notebook_node(notebook)
    # no script at all (MathJax and require.js from a CDN, the template's own, any in an output)
    body = re.sub(r"<script\b.*?</script\s*>", "", body, flags=re.I | re.S)
    body = re.sub(r"<script\b[^>]*>", "", body, flags=re.I)
    return re.sub(r"(<head\b[^>]*>)", lambda m: f"{m[1]}\n{CSP}", body, count=1, flags=re.I)


def execute_notebook(
    notebook: str | Path,
    out_dir: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    kernel_name: str | None = None,
    timeout: float = 600,
    cwd: str | Path | None = None,
    code: bool = True,
) -> tuple[Path, Path]:
    """Execute ``notebook`` top to bottom with ``parameters``; write it and its HTML export.

    Parameters
    ----------
    notebook : str or Path
        The ``.ipynb`` file (not modified).
    out_dir : str or Path
        Where ``<name>.ipynb`` (executed, with outputs) and ``<name>.html`` are written
        (atomically; the folder is created if missing).
    parameters : mapping, optional
        Values for the notebook's ``parameters`` cell, e.g. ``{"priors": ..., "seed": 1}``.
        ``pathlib.Path`` values are made absolute (relative to the current directory), since
        the notebook runs in its own folder; strings are passed as they are.
    kernel_name : str, optional
        Jupyter kernel (default: the notebook's own, normally ``python3``).
    timeout : float
        Seconds allowed per cell.
    cwd : str or Path, optional
        The kernel's working directory (default: the notebook's folder, as in JupyterLab).
    code : bool
        Whether the HTML export shows the code cells (``False``: a briefing without code;
        the executed ``.ipynb`` keeps them).

    Returns
    -------
    (Path, Path)
        The executed notebook and the HTML file.

    Raises
    ------
    FileNotFoundError
        If ``notebook`` does not exist.
    forecast.errors.InputError
        If it is not a notebook (not readable as nbformat 4).
    NotebookError
        If a cell raised; the executed notebook, with the traceback, is written as
        ``<name>.failed.ipynb`` (its path is the exception's ``path``). Nothing else is written.
    """
    import nbformat
    import papermill as pm

    source = Path(notebook)
    if not source.is_file():
        raise FileNotFoundError(f"notebook {source} not found")
    try:
        nbformat.validate(nbformat.read(str(source), as_version=4))
    except Exception:  # noqa: BLE001 - JSON, schema or encoding problems alike
        # its content is not echoed: the path may name any file on the machine
        raise InputError(f"{source} is not a Jupyter notebook (nbformat 4)") from None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    params = {k: _parameter(v) for k, v in (parameters or {}).items()}
    partial = out / f".{source.stem}.partial.ipynb"
    try:
        executed = pm.execute_notebook(
            str(source),
            str(partial),
            parameters=params,
            kernel_name=kernel_name,
            cwd=str(cwd if cwd is not None else source.resolve().parent),
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            start_timeout=120,
            # the kernel's own log (e.g. "running over TCP without encryption") is noise here;
            # a failing cell is reported from its error output
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except pm.PapermillExecutionError as exc:
        failed = out / f"{source.stem}.failed.ipynb"
        if partial.exists():
            os.replace(partial, failed)
        raise NotebookError(
            f"{source}: cell {exc.exec_count} failed: {exc.ename}: {exc.evalue} "
            f"(the executed notebook with the traceback: {failed})",
            failed,
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    ipynb, html = out / f"{source.stem}.ipynb", out / f"{source.stem}.html"
    atomic_write(ipynb, lambda p: nbformat.write(executed, str(p)))
    page = html_export(executed, code=code)

    def write_page(p: Path) -> None:
        p.write_text(page, encoding="utf-8")

    atomic_write(html, write_page)
    return ipynb, html
