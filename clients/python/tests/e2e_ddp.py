#!/usr/bin/env python3
"""EvaluatorMetric under distributed data parallel against a running node:

    /usr/bin/python3 clients/python/tests/e2e_ddp.py URL [--kill-point]

Starts two ranks (two processes, torch.distributed with the gloo backend on CPU, env://
rendezvous on a free loopback port). Each rank feeds its own logits/labels to one
EvaluatorMetric(count_on="device"): rank r writes partition r, rank 0 creates the run and
completes it after a barrier. The final matrix must equal torch.bincount over all the data of
both ranks, exactly (all_reduce of the local recounts), with the ignored pixels. Then a second
run, count_on="server" (narrowed labels) after reset(), is checked the same way.

With --kill-point, rank 0 prints "KILL POINT" once both ranks have pushed part of their
batches, and both keep pushing while whoever drives the test kills the node (kill -9) and
restarts it on the same URL and data directory; the writers retry the same sequence numbers
until the node is back. Rank 0 then reads one line from stdin (sent once the node is back)
before it completes the run. Exit 0 and a last line "OK" on success.
"""

import datetime
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # clients/python

C = 5
IGNORE = 255
BATCHES = 24
KILL_AFTER = 8


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def data(rank, i):
    import torch

    g = torch.Generator().manual_seed(1000 * rank + i)
    n, h, w = 2, 8 + (i % 5), 9 + (i % 3)
    target = torch.randint(0, C, (n, h, w), generator=g)
    target[torch.rand((n, h, w), generator=g) < 0.1] = IGNORE
    logits = torch.randn((n, C, h, w), generator=g)
    logits += 2.0 * torch.nn.functional.one_hot(target.clamp(max=C - 1), C).permute(0, 3, 1, 2)
    return logits, target.to(torch.uint8)


def recount(pairs):
    import torch

    m = torch.zeros(C * C, dtype=torch.int64)
    ignored = 0
    for logits, target in pairs:
        t = target.long().reshape(-1)
        p = logits.argmax(1).reshape(-1)
        keep = t != IGNORE
        m += torch.bincount(t[keep] * C + p[keep], minlength=C * C)
        ignored += int((~keep).sum())
    return m.reshape(C, C), ignored


def rank_main(url, kill_point, run_id):
    import torch
    import torch.distributed as dist

    from evaluator_client import Client, EvaluatorMetric, confusion_matrix

    dist.init_process_group("gloo", init_method="env://", timeout=datetime.timedelta(seconds=180))
    rank, world = dist.get_rank(), dist.get_world_size()
    class CountingClient(Client):
        """Counts the exchanges that failed (a node being killed and restarted)."""

        failures = 0

        def _urlopen(self, request, timeout):
            try:
                return super()._urlopen(request, timeout)
            except OSError as e:  # URLError, ConnectionError, TimeoutError; not HTTPError answers
                if not hasattr(e, "code"):
                    CountingClient.failures += 1
                raise

    # Enough retries to bridge a node restart (about a minute).
    client = CountingClient(url, timeout=30, retries=60, backoff=0.1, max_backoff=1.0)

    def verify(metric, pairs, what):
        report = metric.compute()
        local, ignored = recount(pairs)
        totals = torch.cat([local.reshape(-1), torch.tensor([ignored], dtype=torch.int64)])
        dist.all_reduce(totals)  # the sum over both ranks of the local bincounts
        expected, ignored_all = totals[:-1].reshape(C, C).numpy(), int(totals[-1])
        got = confusion_matrix(report)
        check((got == expected).all(), f"{what}: matrix of the report\n{got}\n!= torch.bincount over all data\n{expected}")
        px = report["pixels"]
        check(px["counted"] == int(expected.sum()) and px["ignored"] == ignored_all and px["out_of_range"] == 0,
              f"{what}: pixels {px}, expected counted {int(expected.sum())} ignored {ignored_all}")
        check(report["status"] == "completed", f"{what}: status {report['status']}")
        return report, int(expected.sum())

    metric = EvaluatorMetric(url, C, ignore_index=IGNORE, run_id=run_id, count_on="device", client=client)
    check(metric.run.partitions == world and metric.writer.partition == rank, "rank r writes partition r")
    pairs = [data(rank, i) for i in range(BATCHES)]
    for i, (logits, target) in enumerate(pairs):
        if kill_point and i == KILL_AFTER:
            dist.barrier()
            if rank == 0:
                print("KILL POINT", flush=True)
        if kill_point and i >= KILL_AFTER:
            time.sleep(0.05)  # keep pushing through the kill and the restart
        metric.update(logits, target)
    if kill_point and rank == 0:
        line = sys.stdin.readline()
        check(line.strip() == "restarted", f"expected 'restarted' on stdin, got {line!r}")
    report, counted = verify(metric, pairs, "count_on=device")
    failures = torch.tensor([CountingClient.failures], dtype=torch.int64)
    dist.all_reduce(failures)
    if kill_point:
        check(int(failures) > 0, "no request failed: the node was not killed while the ranks pushed")
    watermarks = client.run(metric.run_id).watermarks()
    check(watermarks == [BATCHES] * world, f"watermarks {watermarks}: one matrix per batch, each counted once")
    if rank == 0:
        print(f"device run {metric.run_id}: {counted} pixels, matrix equals torch.bincount over both ranks; "
              f"{int(failures)} failed exchanges retried (both ranks), duplicates: rank 0 {metric.writer.duplicates}",
              flush=True)

    # The next epoch: a new run with labels pushed (narrowed) instead of matrices.
    server = EvaluatorMetric(url, C, ignore_index=IGNORE, run_id=run_id + "-server", count_on="server", client=client)
    pairs = [data(rank + 10, i) for i in range(4)]
    for logits, target in pairs:
        server.update(logits, target)
    _, counted = verify(server, pairs, "count_on=server")
    server.reset()
    check(server.run_id == run_id + "-server.1", f"reset starts {server.run_id}")
    more = [data(rank + 20, 0)]
    server.update(*more[0])
    verify(server, more, "after reset")
    if rank == 0:
        print(f"server run: {counted} pixels exact; reset run {server.run_id} exact", flush=True)
    dist.barrier()
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(url, kill_point):
    started = time.monotonic()
    run_id = f"py-ddp-{os.getpid()}-{int(time.time())}"
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), WORLD_SIZE="2",
               PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    procs = []
    for rank in range(2):
        args = [sys.executable, os.path.abspath(__file__), url, "--rank", run_id] + (["--kill-point"] if kill_point else [])
        procs.append(subprocess.Popen(args, env=dict(env, RANK=str(rank)),
                                      stdin=None if rank == 0 else subprocess.DEVNULL))
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=300))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            codes.append(-9)
    if any(codes):
        print(f"FAILED: rank exit codes {codes}", file=sys.stderr)
        return 1
    print(f"2 ranks, {time.monotonic() - started:.1f} s")
    print("OK")
    return 0


if __name__ == "__main__":
    argv = sys.argv[1:]
    kill = "--kill-point" in argv
    argv = [a for a in argv if a != "--kill-point"]
    if "--rank" in argv:
        try:
            rank_main(argv[0], kill, argv[argv.index("--rank") + 1])
        except Exception:  # noqa: BLE001 - the rank's verdict
            import traceback

            traceback.print_exc()
            sys.exit(1)
        sys.exit(0)
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(argv[0], kill))
