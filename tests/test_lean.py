"""The command line's start-up savings (forecast.lean): Dask never imported by a run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, cwd: Path) -> str:
    """Run ``code`` in a fresh interpreter (imports are per process); return its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_without_dask_hides_dask_from_xarray(tmp_path):
    pytest.importorskip("dask")  # where Dask is not installed there is nothing to hide
    out = _python(
        "import sys\n"
        "from forecast.lean import without_dask\n"
        "with without_dask() as hidden:\n"
        "    print(hidden)\n"
        "    import numpy as np, xarray as xr\n"
        "    ds = xr.Dataset({'a': ('x', np.arange(3.0))})\n"
        "    xr.DataTree(dataset=ds).to_netcdf('a.nc')\n"
        "    print([k for k, v in sys.modules.items() if k.split('.')[0] in ('dask', 'distributed')"
        " and v is not None])\n"
        "print('dask' in sys.modules, float(xr.open_datatree('a.nc')['a'].sum()))\n"
        "import dask\nprint(dask.__name__)\n",  # importable again after the block
        tmp_path,
    )
    assert out.splitlines() == ["['dask', 'distributed']", "[]", "False 3.0", "dask"]


@pytest.mark.parametrize(
    ("first", "expected"), [("import dask", "['distributed'] True"), ("import xarray", "[] True")]
)
def test_without_dask_leaves_a_process_that_saw_them_alone(tmp_path, first, expected):
    """Once xarray is imported, hiding Dask would break it (it remembers): nothing hidden.

    An imported Dask stays (only ``distributed``, which xarray never saw, is hidden).
    """
    pytest.importorskip("dask")
    out = _python(
        f"{first}\nimport sys\nfrom forecast.lean import without_dask\n"
        "with without_dask() as hidden:\n"
        "    import numpy as np, xarray as xr\n"
        "    xr.Dataset({'a': ('x', np.arange(3.0))}).to_netcdf('a.nc')\n"
        "    print(hidden, sys.modules['dask'] is not None)\n",
        tmp_path,
    )
    assert out.splitlines() == [expected]


@pytest.mark.parametrize("charts", [False, True])
def test_run_command_imports_no_dask(tmp_path, charts):
    """``forecast run`` never imports Dask (its forked chart workers inherit that): 0.47 s of CPU."""
    pytest.importorskip("dask")
    flags = "" if charts else ", '--no-charts'"
    out = _python(
        "import sys\nfrom pathlib import Path\nfrom forecast.cli import main\n"
        f"code = main(['run', '--priors', {str(ROOT / 'priors.yaml')!r}, "
        f"'--evidence', {str(ROOT / 'evidence')!r}, '--out', 'out'{flags}])\n"
        "print(code, [k for k in ('dask', 'distributed') if sys.modules.get(k) is not None])\n"
        "print('matplotlib' in sys.modules, sorted(p.name for p in Path('out').iterdir()))\n",
        tmp_path,
    )
    code_dask, mpl_files = out.splitlines()[-2:]
    assert code_dask == "0 []"
    assert "watch.csv" in mpl_files  # the bundled indicators were ranked
    # matplotlib (0.4 s of CPU) is never imported here: with charts, by the renderer process only
    # (forecast.renderer), which the charts show were drawn
    assert mpl_files.startswith("False")
    assert ("timeline.png" in mpl_files) == charts
