"""W4's Python contender, server side: Python's own multiprocessing BaseManager serving one
shared counter object, the proxy form of the seed's counter server. Speaks the bench's child
protocol: prints "PORT <n>" once listening on 127.0.0.1, exits when its stdin closes."""
import os
import sys
import threading
from multiprocessing.managers import BaseManager


class Counter:
    """The seed server's get/inc on a shared dict, as one object behind a proxy."""

    def __init__(self):
        self.values = {}

    def get(self, key):
        return self.values.setdefault(key, 0)

    def inc(self, key):
        self.values[key] = self.values.get(key, 0) + 1


SHARED = Counter()


class Manager(BaseManager):
    pass


# Every client's counter() proxy refers to the one shared instance.
Manager.register("counter", callable=lambda: SHARED)


def exit_when_orphaned():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    server = Manager(address=("127.0.0.1", 0), authkey=b"password").get_server()
    threading.Thread(target=exit_when_orphaned, daemon=True).start()
    print("PORT %d" % server.address[1], flush=True)
    server.serve_forever()
