"""Checks the Python client against the server's OpenAPI description.

    python3 check_openapi.py openapi.json [path/to/_client.py]

Reads every HTTP call the client makes (``<client>.request("METHOD", path, ...)`` and the raw
``urllib.request.Request(f"{url}/...")`` of the event stream) from the client's source, with
the path as a template (each interpolated part a placeholder), and checks that each names an
operation of the description (same method, a path the template matches). Prints one line per
call, ``Class.method -> METHOD /path``; exits 1 naming the calls the description lacks.
Run from Evaluator.Tests (Clients/PythonOpenApiTests) against a live node's /openapi/v1.json.
"""
import ast
import json
import os
import re
import sys

PLACEHOLDER = "\x00"


def template(node, assigned):
    """The path an expression builds, with PLACEHOLDER for each part computed at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template(node.left, assigned), template(node.right, assigned)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Name) and node.id in assigned:
        return template(assigned[node.id], assigned)
    if isinstance(node, (ast.Call, ast.Name, ast.Attribute)):
        return PLACEHOLDER
    return None


def calls(source):
    """(qualified function, METHOD, path template) of each HTTP call in the client's source."""
    found = []
    tree = ast.parse(source)
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        for fn in [n for n in cls.body if isinstance(n, ast.FunctionDef)]:
            assigned = {}
            for node in ast.walk(fn):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    assigned[node.targets[0].id] = node.value
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                    continue
                name = f"{cls.name}.{fn.name}"
                if node.func.attr == "request" and len(node.args) >= 2 and fn.name != "request":
                    method = node.args[0]
                    if isinstance(method, ast.Constant) and isinstance(method.value, str):
                        found.append((name, method.value, template(node.args[1], assigned)))
                elif node.func.attr == "Request" and node.args:
                    url = template(node.args[0], assigned)
                    method = next((k.value.value for k in node.keywords if k.arg == "method"
                                   and isinstance(k.value, ast.Constant)), "GET")
                    # f"{base url}/path": the base is the first placeholder
                    if url is not None and url.startswith(PLACEHOLDER + "/"):
                        found.append((name, method, url[1:]))
    return found


def matches(template_path, api_path):
    """Whether a client path template can build the description's path (placeholders match one segment)."""
    pattern = "^" + "".join("[^/]+" if c == PLACEHOLDER else re.escape(c) for c in template_path) + "$"
    sample = re.sub(r"\{[^}]+\}", "x", api_path)
    return re.match(pattern, sample) is not None


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        api = json.load(f)
    client = argv[2] if len(argv) > 2 else os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "evaluator_client", "_client.py")
    with open(client, encoding="utf-8") as f:
        found = calls(f.read())
    operations = [(m.upper(), p) for p, item in api.get("paths", {}).items() for m in item
                  if m.lower() in ("get", "post", "put", "delete", "patch")]
    missing = []
    for name, method, path in found:
        if path is None:
            missing.append(f"{name}: {method} with a path this check cannot read")
            continue
        hits = [p for m, p in operations if m == method.upper() and matches(path, p)]
        shown = path.replace(PLACEHOLDER, "{}")
        if hits:
            print(f"{name} -> {method} {' | '.join(hits)}")
        else:
            missing.append(f"{name}: {method} {shown} is not in the description")
    if not found:
        missing.append("no HTTP calls found in the client: the check cannot read it")
    for m in missing:
        print("MISSING " + m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
