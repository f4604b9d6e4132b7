"""Warms a manager server up before W4's "warmed" contender: one Python client that asks
for the counter object and makes `pairs` get+inc pairs on its own key (never the key W4
checks), then exits. argv: port, pairs."""
import sys
from multiprocessing.managers import BaseManager


class Manager(BaseManager):
    pass


Manager.register("counter")


def main():
    port, pairs = int(sys.argv[1]), int(sys.argv[2])
    manager = Manager(address=("127.0.0.1", port), authkey=b"password")
    manager.connect()
    counter = manager.counter()
    for _ in range(pairs):
        counter.get("warm-up")
        counter.inc("warm-up")


if __name__ == "__main__":
    main()
