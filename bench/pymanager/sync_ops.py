"""The SyncManager workload: PROCS processes share one dict (or one Queue) made by a
SyncManager client and run OPS operations in all, timed from the first start to the last
exit. dict: each process sets then reads its own key; Queue: each puts then gets. Prints one
JSON line: wall seconds, whether the shared object ended as it must, and the worker processes'
CPU seconds.

    python sync_ops.py HOST PORT dict|queue OPS PROCS
"""
import json
import resource
import sys
import time
from multiprocessing import Process
from multiprocessing.managers import SyncManager

HOST, PORT, KIND, OPS, PROCS = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
PAIRS = OPS // PROCS // 2


def work(shared, index):
    if KIND == 'dict':
        for i in range(PAIRS):
            shared[index] = i
            shared[index]
    else:
        for i in range(PAIRS):
            shared.put(i)
            shared.get()


if __name__ == '__main__':
    manager = SyncManager(address=(HOST, PORT), authkey=b'password')
    manager.connect()
    shared = manager.dict() if KIND == 'dict' else manager.Queue()
    procs = [Process(target=work, args=(shared, i)) for i in range(PROCS)]
    start = time.time()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    wall = time.time() - start
    if KIND == 'dict':
        ok = len(shared) == PROCS and all(shared[i] == PAIRS - 1 for i in range(PROCS))
    else:
        ok = shared.qsize() == 0
    ok = ok and all(p.exitcode == 0 for p in procs)
    # The worker processes' user + system CPU: what the clients spent, beside the server's.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({'wallSeconds': wall, 'ok': ok, 'ops': PAIRS * 2 * PROCS,
                      'clientCpuSeconds': children.ru_utime + children.ru_stime}))
