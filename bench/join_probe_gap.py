#!/usr/bin/env python3
"""What serve's HTTP URL answers from the process start until /readyz is 200.

Starts `serve` forming its own cluster (its own address as its seed), GETs /readyz every 5 ms
and prints each change of answer with the seconds since the start: refused (nothing listens
yet), 503 (the joining server), refused again (the hand-over to the full API while it binds),
then 200. Usage: bench/join_probe_gap.py [path/to/evaluator.dll] (default: the test build).
"""
import socket, subprocess, sys, tempfile, time, urllib.error, urllib.request

dll = sys.argv[1] if len(sys.argv) > 1 else "Evaluator.Tests/bin/Debug/net10.0/evaluator.dll"

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

http_port, akka_port = free_port(), free_port()
node = subprocess.Popen(["dotnet", dll, "serve", "--hostname", "127.0.0.1", "--port", str(akka_port),
                         "--http", f"http://127.0.0.1:{http_port}", "--data-dir", tempfile.mkdtemp(),
                         "--seed-nodes", f"akka.tcp://evaluator@127.0.0.1:{akka_port}"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
start, last = time.time(), None
try:
    while time.time() - start < 120:
        try:
            answer = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/readyz", timeout=5).status
        except urllib.error.HTTPError as e:
            answer = e.code
        except OSError:
            answer = "refused"
        if answer != last:
            print(f"{time.time() - start:7.3f} s  {answer}", flush=True)
            last = answer
        if answer == 200:
            break
        time.sleep(0.005)
finally:
    node.terminate()
    node.wait()
