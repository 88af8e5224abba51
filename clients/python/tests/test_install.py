"""`pip install` of clients/python works offline (no index, no build isolation) into a venv."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # clients/python


def test_pip_install_offline_into_a_venv(tmp_path):
    import importlib.util

    # python3-pip and python3-setuptools (the build backend); looked up, not imported here.
    if importlib.util.find_spec("pip") is None or importlib.util.find_spec("setuptools") is None:
        pytest.skip("pip or setuptools is not installed")
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
    venv = tmp_path / "venv"
    # --without-pip: the system pip (python3-pip) is seen through the system site-packages
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
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
