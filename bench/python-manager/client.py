"""W4's Python contender, client side: one process of the seed's counter workload through a
BaseManager proxy (one connection, reused for every call). Speaks the bench's child protocol:
READY once connected, runs on GO, prints RESULT, answers CHECK with COUNTER, exits on EXIT
or when its stdin closes."""
import json
import os
import sys
import time
from multiprocessing.managers import BaseManager

COUNTER_KEY = "views"


class Manager(BaseManager):
    pass


Manager.register("counter")


def report(tag, payload):
    sys.stdout.write("%s %s\n" % (tag, json.dumps(payload)))
    sys.stdout.flush()


def main():
    job = json.loads(os.environ["BENCH_JOB"])
    manager = Manager(address=("127.0.0.1", job["port"]), authkey=b"password")
    manager.connect()
    counter = manager.counter()
    report("READY", None)
    if sys.stdin.readline().strip() != "GO":
        return
    start = time.perf_counter()
    end = start + job["durationMs"] / 1000
    i = 0
    now = start
    # Bounded by the iteration count and by the job's time, as every bench loop is.
    while i < job["iterations"] and now < end:
        value = counter.get(COUNTER_KEY)
        if not isinstance(value, int):
            raise TypeError("get returned %s" % type(value).__name__)
        counter.inc(COUNTER_KEY)
        i += 1
        now = time.perf_counter()
    seconds = now - start
    report("RESULT", {"calls": 2 * i, "seconds": seconds, "callsPerSec": 2 * i / seconds if seconds > 0 else 0, "complete": i == job["iterations"]})
    for line in sys.stdin:
        if line.strip() != "CHECK":
            return
        report("COUNTER", counter.get(COUNTER_KEY))


if __name__ == "__main__":
    main()
