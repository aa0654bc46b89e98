#!/usr/bin/python3
"""The workload side of the egress tests: tries connections and prints one line per check,
"CHECK ok" or "CHECK fail REASON". Checks within a group run at once (so the timeouts of
dropped packets overlap); steps run in order.

  tcp/ADDR/PORT    a TCP connection (IPv4 or IPv6 address)
  dns/ADDR/NAME    an A query over UDP to ADDR:53; ok when ADDR answers
  udp/ADDR/PORT    a datagram to an echo server; ok when it answers
  devices          ok when the only network devices are those given by --devices
  --               end of a group: run it
  touch/PATH       create a file;   wait/PATH   wait until a file exists (10 s at most)
  sleep/SECONDS    sleep
"""
import os
import socket
import struct
import sys
import threading
import time

TIMEOUT = float(os.environ.get("PROBE_TIMEOUT", "1.0"))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect((addr, int(port)))
    finally:
        s.close()


def dns(addr, name):
    q = struct.pack("!HHHHHH", 0x4d56, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 1, 1)
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect((addr, 53))
        s.send(q)
        r = s.recv(4096)
        if r[:2] != q[:2]:
            raise OSError("answer for another query")
    finally:
        s.close()


def udp(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect((addr, int(port)))
        s.send(b"ping")
        s.recv(64)
    finally:
        s.close()


def devices(want):
    with open("/proc/net/dev") as f:
        got = sorted(line.split(":")[0].strip() for line in f.readlines()[2:])
    if got != sorted(want.split(",")):
        raise OSError("devices: " + ",".join(got))


def run_check(check, out):
    kind, _, rest = check.partition("/")
    try:
        if kind == "tcp":
            addr, port = rest.rsplit("/", 1)
            tcp(addr, port)
        elif kind == "dns":
            addr, name = rest.rsplit("/", 1)
            dns(addr, name)
        elif kind == "udp":
            addr, port = rest.rsplit("/", 1)
            udp(addr, port)
        elif kind == "devices":
            devices(rest)
        else:
            raise ValueError("unknown check")
        out[check] = "ok"
    except Exception as e:  # every failure is a result, reported with its reason
        out[check] = "fail " + (type(e).__name__ + ": " + str(e)).replace("\n", " ")


def run_group(group):
    out = {}
    threads = [threading.Thread(target=run_check, args=(c, out)) for c in group]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in group:
        print(c, out[c], flush=True)


def main():
    group = []
    for step in sys.argv[1:] + ["--"]:
        if step == "--":
            if group:
                run_group(group)
            group = []
        elif step.startswith("touch/"):
            open(step[6:], "w").close()
        elif step.startswith("wait/"):
            deadline = time.time() + 10
            while not os.path.exists(step[5:]) and time.time() < deadline:
                time.sleep(0.05)
        elif step.startswith("sleep/"):
            time.sleep(float(step[6:]))
        else:
            group.append(step)


if __name__ == "__main__":
    main()
