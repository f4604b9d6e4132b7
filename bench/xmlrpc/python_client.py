"""Python's xmlrpc.client calling add(1, 2) one call at a time for SECONDS; prints {"calls", "seconds"}.

usage: python_client.py URL SECONDS
"""
import json
import sys
import time
import xmlrpc.client

url, seconds = sys.argv[1], float(sys.argv[2])
proxy = xmlrpc.client.ServerProxy(url)
for _ in range(20):  # warm-up
    proxy.add(1, 2)
calls = 0
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    assert proxy.add(1, 2) == 3
    calls += 1
print(json.dumps({"calls": calls, "seconds": time.perf_counter() - start}))
