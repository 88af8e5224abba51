#!/usr/bin/python3
"""Where a local `evaluate` waits rather than computes (issue #12): runs one command, samples its
CPU time (utime + stime of all its threads, /proc/PID/stat) every 2 ms, and prints
  - per phase of bench/startup.sh (bench/wall.py's markers in Akka's log), wall and CPU seconds;
  - every window of at least --idle ms in which the process used no CPU at all (a timer, a
    lost message waiting for its retry, a disk flush), with the log lines around it and the
    share of its samples in which a thread was in uninterruptible (disk) sleep.

  bench/cpu_timeline.py [--idle MS=25] LOG -- COMMAND...
  e.g. EVALUATOR_LOG_LEVEL=Debug bench/cpu_timeline.py /tmp/run.log -- publish/evaluator evaluate \\
         --gt d/gt --pred d/pred --classes 19 --data-dir /tmp/fresh

The log level comes from the environment (EVALUATOR_LOGLEVEL=INFO unless EVALUATOR_LOG_LEVEL or
EVALUATOR_LOGLEVEL is set): Debug names more of the events around a window, at some CPU cost.
CPU time advances in clock ticks (10 ms), so phases shorter than a few ticks read coarsely.
"""
import contextlib
import io
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wall  # noqa: E402  (bench/wall.py: the phase markers of bench/startup.sh)


def threads_in_disk_sleep(pid):
    count = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "D":
                        count += 1
            except (OSError, IndexError):
                pass
    except OSError:
        pass
    return count


def main(argv):
    idle_ms = 25
    if argv[:1] == ["--idle"]:
        idle_ms, argv = int(argv[1]), argv[2:]
    if len(argv) < 3 or argv[1] != "--":
        sys.exit(__doc__)
    log, command = argv[0], argv[2:]
    env = dict(os.environ)
    if "EVALUATOR_LOG_LEVEL" not in env:
        env.setdefault("EVALUATOR_LOGLEVEL", "INFO")
    tick = os.sysconf("SC_CLK_TCK")
    start = time.time()
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        samples = []  # (time, cpu seconds, threads in disk sleep)
        while process.poll() is None:
            try:
                with open(f"/proc/{process.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                samples.append((time.time(), (int(fields[11]) + int(fields[12])) / tick, threads_in_disk_sleep(process.pid)))
            except (OSError, IndexError):
                pass
            time.sleep(0.002)
    end = time.time()
    if not samples:
        sys.exit("the command ended before a sample")

    def cpu_at(t):
        last = 0.0
        for ts, cpu, _ in samples:
            if ts > t:
                break
            last = cpu
        return last

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        names = wall.phases(log, start, end)
    marks = [start]
    for seconds in text.getvalue().split():
        marks.append(marks[-1] + float(seconds))
    print("| phase | wall s | CPU s |")
    print("|---|---|---|")
    for name, a, b in zip(names, marks, marks[1:]):
        print(f"| {name} | {b - a:.3f} | {cpu_at(b) - cpu_at(a):.2f} |")
    print(f"| **total** (exit status {process.returncode}) | **{end - start:.3f}** | **{samples[-1][1]:.2f}** |")

    day = datetime.fromtimestamp(start, timezone.utc).date()
    lines = []
    for line in open(log, errors="replace"):
        try:
            clock = datetime.strptime(line[:12], "%H:%M:%S.%f").time()
        except ValueError:
            continue
        lines.append((datetime.combine(day, clock, timezone.utc).timestamp(), line.rstrip()[13:170]))
    print(f"\nno CPU used for >= {idle_ms} ms:")
    first = samples[0]
    for a, b in zip(samples, samples[1:] + [(end, -1.0, 0)]):
        if b[1] == first[1]:
            continue
        if a[0] - first[0] >= idle_ms / 1000:
            window = [s for s in samples if first[0] <= s[0] <= a[0]]
            disk = sum(1 for s in window if s[2] > 0) / len(window)
            before = [l for t, l in lines if t <= first[0]][-1:] or ["(process start)"]
            after = [l for t, l in lines if t >= a[0]][:1] or ["(process exit)"]
            print(f"  {(a[0] - first[0]) * 1000:4.0f} ms from +{first[0] - start:.3f} s (disk sleep in {disk:.0%} of it)")
            print(f"       after:  {before[0]}")
            print(f"       before: {after[0]}")
        first = b


if __name__ == "__main__":
    main(sys.argv[1:])
