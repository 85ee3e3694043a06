"""Lambda figures of issue 14, measured against a running nimbus:

- cold start: the first invoke of a new revision of a trivial Python
  function (a new execution environment: process start, runtime client,
  handler import) against `python3 -c pass` with the same interpreter;
- warm invoke round trip (p50, p99) of that function, one client;
- 100 concurrent invokes of a function that sleeps a second: errors and
  how many environments served them;
- warm invokes per second with several client processes (keep-alive
  HTTP, signatures not computed: nimbus's default mode does not verify them).

Usage: python lambda_invoke.py http://127.0.0.1:4566 [seconds] [clients]
"""

from __future__ import annotations

import http.client
import io
import json
import multiprocessing
import statistics
import subprocess
import sys
import time
import urllib.parse
import zipfile

import boto3

# nimbus's default mode does not verify signatures; the scope routes the
# request to Lambda, and the client spends nothing on signing.
ROUTING_ONLY = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, "
                "SignedHeaders=host, Signature=0000")

HANDLER = "def lambda_handler(event, context):\n    return event\n"


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", HANDLER)
    return buffer.getvalue()


def connection(endpoint: str) -> http.client.HTTPConnection:
    url = urllib.parse.urlparse(endpoint)
    return http.client.HTTPConnection(url.hostname, url.port)


def invoke(conn: http.client.HTTPConnection, name: str) -> None:
    conn.request("POST", f"/2015-03-31/functions/{name}/invocations", body=b'{"n":1}',
                 headers={"Content-Type": "application/json", "Authorization": ROUTING_ONLY})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200 or response.getheader("X-Amz-Function-Error"):
        raise RuntimeError(f"invoke failed: {response.status} {body!r}")


def client_loop(endpoint: str, name: str, seconds: float, counts) -> None:
    conn = connection(endpoint)
    done = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        invoke(conn, name)
        done += 1
    counts.put(done)


def concurrency(lam, endpoint: str) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py",
                         "import os, time\ndef lambda_handler(e, c):\n    time.sleep(1)\n    return os.getpid()\n")
    name = f"bench-concurrent-{int(time.time())}"
    lam.create_function(FunctionName=name, Runtime="python3.11", Role="arn:aws:iam::000000000000:role/r",
                        Handler="lambda_function.lambda_handler", Code={"ZipFile": buffer.getvalue()}, Timeout=60)

    def one(_):
        conn = connection(endpoint)
        conn.request("POST", f"/2015-03-31/functions/{name}/invocations", body=b"{}",
                     headers={"Content-Type": "application/json", "Authorization": ROUTING_ONLY})
        response = conn.getresponse()
        body = response.read()
        failed = response.status != 200 or response.getheader("X-Amz-Function-Error")
        return None if failed else json.loads(body)

    started = time.perf_counter()
    with ThreadPoolExecutor(100) as pool:
        pids = list(pool.map(one, range(100)))
    return {
        "concurrent_invokes": 100,
        "concurrent_errors": sum(pid is None for pid in pids),
        "concurrent_environments": len({pid for pid in pids if pid is not None}),
        "concurrent_seconds": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    endpoint = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    name = f"bench-{int(time.time())}"
    lam.create_function(FunctionName=name, Runtime="python3.11", Role="arn:aws:iam::000000000000:role/r",
                        Handler="lambda_function.lambda_handler", Code={"ZipFile": package()}, MemorySize=128)
    conn = connection(endpoint)
    colds = []
    for round_ in range(10):
        lam.update_function_configuration(FunctionName=name, Description=f"round {round_}")
        started = time.perf_counter()
        invoke(conn, name)
        colds.append((time.perf_counter() - started) * 1000)
    interpreter = subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    passes = []
    for _ in range(10):
        started = time.perf_counter()
        subprocess.run([interpreter, "-c", "pass"], check=True)
        passes.append((time.perf_counter() - started) * 1000)
    warm = []
    for _ in range(2000):
        started = time.perf_counter()
        invoke(conn, name)
        warm.append((time.perf_counter() - started) * 1000)
    warm.sort()
    counts = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=client_loop, args=(endpoint, name, seconds, counts)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    total = sum(counts.get() for _ in workers)
    for worker in workers:
        worker.join()
    concurrent = concurrency(lam, endpoint)
    print(json.dumps({
        **concurrent,
        "cold_start_ms_median": round(statistics.median(colds), 1),
        "python_pass_ms_median": round(statistics.median(passes), 1),
        "warm_p50_ms": round(warm[len(warm) // 2], 3),
        "warm_p99_ms": round(warm[int(len(warm) * 0.99)], 3),
        "invokes_per_second": round(total / seconds),
        "clients": clients,
    }, indent=2))


if __name__ == "__main__":
    main()
