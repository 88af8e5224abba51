#!/usr/bin/env python3
"""The client's Run.cityscapes_json() against a node with a finished Cityscapes-protocol run:

    python3 clients/python/tests/e2e_cityscapes.py URL RUN_ID LOCAL_JSON

LOCAL_JSON is the file ``evaluate --protocol cityscapes --cityscapes-json`` wrote on the same
files. The parsed answer, written back as cityscapesScripts writes its result
(``json.dumps(d, sort_keys=True, indent=4)``), must be that file's text exactly. Exit 0 on success.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # clients/python
from evaluator_client import Client  # noqa: E402


def main(url, run_id, local):
    result = Client(url).run(run_id).cityscapes_json()
    assert isinstance(result, dict), f"not a JSON object: {result!r:.200}"
    with open(local, encoding="utf-8") as f:
        expected = f.read()
    written = json.dumps(result, sort_keys=True, indent=4)
    if written != expected:
        for i, (a, b) in enumerate(zip(written.splitlines(), expected.splitlines())):
            if a != b:
                print(f"line {i + 1}: client {a!r} != local {b!r}")
                break
        return 1
    print(f"{len(result['confMatrix'])}x{len(result['confMatrix'])} matrix, averageScoreInstClasses "
          f"{result['averageScoreInstClasses']}")
    print("OK")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
