"""`pip install` of clients/python works offline (no index, no build isolation) into a venv."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # clients/python


def test_pip_install_offline_into_a_venv(tmp_path):
    try:
        import setuptools  # noqa: F401  - the build backend, from the system (python3-setuptools)
    except ImportError:
        pytest.skip("setuptools is not installed")
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    res = subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index", str(src)],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    code = ("import evaluator_client, os, importlib.metadata as md; "
            "d = os.path.dirname(evaluator_client.__file__); "
            "print(evaluator_client.__version__, md.version('evaluator-client'), "
            "os.path.isfile(os.path.join(d, 'py.typed')), d.startswith(%r))" % str(venv))
    out = subprocess.run([py, "-c", code], capture_output=True, text=True, cwd=str(tmp_path), check=True).stdout.split()
    import evaluator_client

    assert out == [evaluator_client.__version__, evaluator_client.__version__, "True", "True"]
