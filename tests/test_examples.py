"""Every script in ``examples/`` runs to the end in its small setting.

The scripts are found at collection time, so examples added later are tested too. Each
runs in a fresh interpreter, in a temporary directory (where its PNG files go), with
``SKNN_EXAMPLE_SMALL=1`` and the non-interactive Agg backend.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

#: Seconds per example: its small setting should take a few, plus the imports.
TIMEOUT = 180

pytest.importorskip("matplotlib", reason="the examples plot with matplotlib")


@pytest.mark.parametrize("script", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(script, tmp_path):
    env = {
        **os.environ,
        "SKNN_EXAMPLE_SMALL": "1",
        "MPLBACKEND": "Agg",
        # One thread each: the examples must not fight over a CI machine's few cores.
        "OMP_NUM_THREADS": "1",
        # This checkout's sknn, whatever else is installed.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stderr[-3000:]}"
    for png in tmp_path.glob("*.png"):
        assert str(png.resolve()) in result.stdout, (
            f"{script.name} saved {png.name} without saying where"
        )
