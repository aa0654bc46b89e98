#!/usr/bin/python3
"""A tiny authoritative DNS server for tests: answers A/AAAA/CNAME from a zone file that it
re-reads on every query (so a test can change an answer), on UDP, one address.
usage: dns_server.py ADDR PORT ZONEFILE   (zone lines: NAME TYPE TTL VALUE)"""
import socket
import struct
import sys


def read_zone(path):
    recs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4:
                recs.append((parts[0].lower().rstrip("."), parts[1].upper(), int(parts[2]), parts[3]))
    return recs


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_qname(msg, off):
    labels = []
    while msg[off]:
        l = msg[off]
        labels.append(msg[off + 1:off + 1 + l].decode().lower())
        off += 1 + l
    return ".".join(labels), off + 1


def answer(msg, zone):
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    name, off = parse_qname(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    answers = []
    cur = name
    for _ in range(8):
        cname = [r for r in zone if r[0] == cur and r[1] == "CNAME"]
        if cname:
            r = cname[0]
            rdata = encode_name(r[3])
            answers.append(encode_name(cur) + struct.pack("!HHIH", 5, 1, r[2], len(rdata)) + rdata)
            cur = r[3].lower().rstrip(".")
            continue
        break
    want = {1: "A", 28: "AAAA"}.get(qtype)
    for r in zone:
        if r[0] == cur and r[1] == want:
            fam = socket.AF_INET if want == "A" else socket.AF_INET6
            rdata = socket.inet_pton(fam, r[3])
            answers.append(encode_name(cur) + struct.pack("!HHIH", qtype, 1, r[2], len(rdata)) + rdata)
    known = any(r[0] == name for r in zone)
    rcode = 0 if known else 3
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
    return hdr + question + b"".join(answers)


def main():
    addr, port, zone = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("ready", flush=True)
    while True:
        msg, peer = s.recvfrom(4096)
        try:
            s.sendto(answer(msg, read_zone(zone)), peer)
        except Exception as e:  # a malformed query gets no answer
            print("bad query:", e, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
