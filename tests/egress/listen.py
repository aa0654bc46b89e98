#!/usr/bin/python3
"""The server side of the egress tests: accepts TCP connections (and closes them) and echoes
UDP datagrams on every tcp/ADDR/PORT and udp/ADDR/PORT given; prints "ready" once all are bound."""
import socket
import sys
import threading


def serve_tcp(s):
    while True:
        c, _ = s.accept()
        c.close()


def serve_udp(s):
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)


def main():
    for spec in sys.argv[1:]:
        kind, addr, port = spec.split("/")
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, int(port)))
        if kind == "tcp":
            s.listen(64)
        threading.Thread(target=serve_tcp if kind == "tcp" else serve_udp, args=(s,), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
