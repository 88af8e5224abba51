"""The package itself: public names, version, typing marker, installability metadata."""

import glob
import os
import re

import evaluator_client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # clients/python
REPO = os.path.dirname(os.path.dirname(ROOT))


def test_public_names_of_the_readme_are_exported():
    for name in ["Client", "Run", "PartitionWriter", "EvaluatorError", "GapError", "confusion_matrix",
                 "narrow_labels", "EvaluatorMetric", "log_report", "log_to", "__version__"]:
        assert hasattr(evaluator_client, name), name


def test_version_is_one_string_and_matches_any_server_version():
    v = evaluator_client.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+([.+-]\w+)*", v), v
    pyproject = open(os.path.join(ROOT, "pyproject.toml")).read()
    assert 'attr = "evaluator_client._version.__version__"' in pyproject  # no second copy
    # The server carries no <Version> yet; once one of its projects does, it must be this one.
    files = glob.glob(os.path.join(REPO, "*.props")) + glob.glob(os.path.join(REPO, "*", "*.csproj"))
    for f in files:
        for m in re.findall(r"<Version>([^<]+)</Version>", open(f, encoding="utf-8").read()):
            assert m.strip() == v, f"{f} has <Version>{m}</Version>, the client {v}"


def test_typed_marker_and_numpy_is_the_only_dependency():
    assert os.path.isfile(os.path.join(ROOT, "evaluator_client", "py.typed"))
    pyproject = open(os.path.join(ROOT, "pyproject.toml")).read()
    assert re.search(r'^dependencies = \["numpy"\]$', pyproject, re.M)
    assert 'name = "evaluator-client"' in pyproject


def test_importing_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, %r); import evaluator_client; "
            "print('torch' in sys.modules)" % ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_package_type_checks_when_mypy_is_installed():
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("mypy") is None:
        import pytest

        pytest.skip("mypy is not installed (Debian: mypy)")
    res = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-incremental",
                          "--cache-dir", os.devnull, os.path.join(ROOT, "evaluator_client")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
