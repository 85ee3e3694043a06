"""Load balancer figures of issue 17, measured against a running nimbus:

- ALB proxy overhead: one keep-alive client GETs a bare hyper server (the
  benchmark's limit server) directly and through an ALB forwarding to it
  (an `ip` target), alternately; p50 latency of each, and the difference;
- ALB request rate: 16 keep-alive clients, directly and through the ALB;
- NLB TCP throughput: one connection pushes 2 GB into a sink directly and
  through an NLB forwarding to it.

Each figure comes from `nimbus-bench` (its load engine and its sink); the
script starts the limit server and the sink, makes the load balancers with
boto3, and takes the median of the rounds.

Usage: python elb_proxy.py http://127.0.0.1:4597 target/release/nimbus-bench [rounds]
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import boto3


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def listener_address(endpoint: str, lb_arn: str) -> str:
    for _ in range(50):
        listed = json.loads(urllib.request.urlopen(f"{endpoint}/_nimbus/load-balancers").read())
        for lb in listed:
            if lb["arn"] == lb_arn and lb["listeners"] and lb["listeners"][0]["address"]:
                return lb["listeners"][0]["address"]
        time.sleep(0.1)
    raise RuntimeError("the listener does not listen")


def load_balancer(endpoint: str, kind: str, protocol: str, port: int, target_port: int) -> str:
    elb, ec2 = client(endpoint, "elbv2"), client(endpoint, "ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][:2]
    tg = elb.create_target_group(
        Name=f"bench-{kind}", Protocol=protocol, Port=target_port, TargetType="ip", VpcId=subnets[0]["VpcId"]
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
    lb = elb.create_load_balancer(
        Name=f"bench-{kind}", Type=kind, Subnets=[s["SubnetId"] for s in subnets]
    )["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol=protocol, Port=port,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    return listener_address(endpoint, lb)


def bench(tool: str, *args: str) -> dict:
    out = subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    endpoint, tool = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    limit_port, sink_port = free_port(), free_port()
    helpers = [
        subprocess.Popen([tool, "limit-server", "--port", str(limit_port), "--large-bytes", "0"]),
        subprocess.Popen([tool, "tcp-sink", "--port", str(sink_port)]),
    ]
    try:
        wait_listening(limit_port)
        wait_listening(sink_port)
        alb = load_balancer(endpoint, "application", "HTTP", 8080, limit_port)
        nlb = load_balancer(endpoint, "network", "TCP", 9090, sink_port)
        direct = f"127.0.0.1:{limit_port}"
        figures: dict[str, list[float]] = {k: [] for k in (
            "direct p50", "alb p50", "added p50", "direct rate", "alb rate", "rate ratio",
            "direct MB/s", "nlb MB/s")}
        for _ in range(rounds):
            d1 = bench(tool, "http-load", "--addr", direct, "--connections", "1", "--seconds", "4")
            a1 = bench(tool, "http-load", "--addr", alb, "--connections", "1", "--seconds", "4")
            d16 = bench(tool, "http-load", "--addr", direct, "--connections", "16", "--seconds", "4")
            a16 = bench(tool, "http-load", "--addr", alb, "--connections", "16", "--seconds", "4")
            dt = bench(tool, "tcp-throughput", "--addr", f"127.0.0.1:{sink_port}", "--megabytes", "2000")
            nt = bench(tool, "tcp-throughput", "--addr", nlb, "--megabytes", "2000")
            for key, value in (
                ("direct p50", d1["p50_ms"]), ("alb p50", a1["p50_ms"]),
                ("added p50", (a1["p50_ms"] - d1["p50_ms"]) * 1000),
                ("direct rate", d16["per_second"]), ("alb rate", a16["per_second"]),
                ("rate ratio", a16["per_second"] / d16["per_second"]),
                ("direct MB/s", dt["megabytes_per_second"]), ("nlb MB/s", nt["megabytes_per_second"]),
            ):
                figures[key].append(value)
            print(json.dumps({k: round(v[-1], 4) for k, v in figures.items()}), flush=True)
        print("medians of", rounds, "rounds:")
        for key, values in figures.items():
            unit = " us" if key == "added p50" else ""
            print(f"  {key}: {statistics.median(values):.4f}{unit}  (rounds: {', '.join(f'{v:.4f}' for v in values)})")
    finally:
        for helper in helpers:
            helper.terminate()
            helper.wait()


if __name__ == "__main__":
    main()
