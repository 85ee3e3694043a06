"""EC2 figures of issue 16, measured against a running nimbus:

- RunInstances of 50 instances until DescribeInstances shows all 50
  running (each a process group with its own folder and address);
- nimbus's own memory per idle running instance: the growth of nimbus's
  resident set (VmRSS of its process, not the instances' processes) from
  before a launch of N instances to when they all run idle, over N;
- DescribeInstances over 1,000 instances: the server's answer time for the
  whole list (keep-alive HTTP, signature not computed: nimbus's default
  mode does not verify them), median and p90 of 20.

Usage: python ec2_instances.py http://127.0.0.1:4566 NIMBUS_PID [rounds]
"""

from __future__ import annotations

import http.client
import statistics
import sys
import time
import urllib.parse

import boto3

ROUTING_ONLY = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, "
                "SignedHeaders=host, Signature=0000")


def client(endpoint: str):
    return boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def image(ec2) -> str:
    found = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    return found["Images"][0]["ImageId"]


def running(ec2, ids: list[str]) -> int:
    count = 0
    for start in range(0, len(ids), 1000):
        found = ec2.describe_instances(InstanceIds=ids[start:start + 1000])
        count += sum(i["State"]["Name"] == "running" for r in found["Reservations"] for i in r["Instances"])
    return count


def launch(ec2, ami: str, count: int) -> tuple[list[str], float]:
    """Launches `count` (in calls of at most 100); seconds until all run."""
    started = time.perf_counter()
    ids: list[str] = []
    while len(ids) < count:
        batch = min(100, count - len(ids))
        made = ec2.run_instances(ImageId=ami, InstanceType="t2.nano", MinCount=batch, MaxCount=batch)
        ids += [i["InstanceId"] for i in made["Instances"]]
    while running(ec2, ids) < count:
        time.sleep(0.01)
    return ids, time.perf_counter() - started


def terminate(ec2, ids: list[str]) -> None:
    for start in range(0, len(ids), 500):
        ec2.terminate_instances(InstanceIds=ids[start:start + 500])


def describe_all_ms(endpoint: str, samples: int = 20) -> list[float]:
    url = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    body = b"Action=DescribeInstances&Version=2016-11-15"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": ROUTING_ONLY}
    times = []
    for _ in range(samples + 2):
        started = time.perf_counter()
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"DescribeInstances answered {response.status}")
    return sorted(times[2:])


def main() -> None:
    endpoint, pid = sys.argv[1], int(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    ec2 = client(endpoint)
    ami = image(ec2)
    for round_number in range(rounds):
        ids, seconds = launch(ec2, ami, 50)
        print(f"round {round_number + 1}: RunInstances of 50 to all running: {seconds:.3f} s")
        terminate(ec2, ids)
        time.sleep(1.5)
    time.sleep(1)
    before = rss_kib(pid)
    ids, seconds = launch(ec2, ami, 200)
    time.sleep(2)
    after = rss_kib(pid)
    print(f"200 idle running instances ({seconds:.2f} s to launch): nimbus RSS {before} -> {after} KiB, "
          f"{(after - before) / 200:.1f} KiB per instance")
    more, seconds = launch(ec2, ami, 800)
    ids += more
    times = describe_all_ms(endpoint)
    print(f"DescribeInstances over {len(ids)} instances: median {statistics.median(times):.1f} ms, "
          f"p90 {times[int(len(times) * 0.9)]:.1f} ms (launch of 800 more: {seconds:.1f} s)")
    terminate(ec2, ids)


if __name__ == "__main__":
    main()
