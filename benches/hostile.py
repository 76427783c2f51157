#!/usr/bin/env python3
"""Memory and connection figures under hostile input (DESIGN §8 "memory under hostile input").

Starts a release server per scenario on a loopback port and prints one line per figure; with
`--baseline PATH` the same scenarios run against that binary too and the ratios are printed.

    python3 benches/hostile.py --server target/release/cloudevent-player [--baseline OLD_BINARY]

Only the standard library; every loop is bounded in count and time; traffic stays on 127.0.0.1.
"""

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import time

PORT = 3091


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Player:
    def __init__(self, binary, args=()):
        self.proc = subprocess.Popen(
            [binary, "--listen", f"127.0.0.1:{PORT}", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def rss(self):
        return rss_mib(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def connect():
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    return sock


def request(method, path, headers=(), body=b""):
    sock = connect()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers)
    head += f"Content-Length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode() + body)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    status = int(data.split(b" ", 2)[1]) if data else 0
    return status, data.split(b"\r\n\r\n", 1)[-1]


def open_stream():
    """A /stream client that reads the response head, then never reads again."""
    sock = connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    sock.recv(1024)
    return sock


def big_events(binary):
    """RSS after 300 structured events of about 1 MB each."""
    player = Player(binary)
    try:
        before = player.rss()
        data = "x" * 1_000_000
        for i in range(300):
            event = {"specversion": "1.0", "id": str(i), "source": "/big", "type": "t", "data": data}
            status, _ = request("POST", "/events", [("Content-Type", "application/cloudevents+json")],
                                json.dumps(event).encode())
            assert status == 202, status
        return before, player.rss()
    finally:
        player.stop()


def large_rejections(binary):
    """RSS after 3,000 rejected requests with ~50 KB of headers and 64 KB bodies, one stalled stream."""
    player = Player(binary)
    try:
        stalled = open_stream()
        headers = [(f"x-filler-{i}", "v" * 1000) for i in range(50)]
        headers.append(("Content-Type", "application/cloudevents+json"))
        body = b"{" + b"x" * 65_000
        for _ in range(3000):
            status, _ = request("POST", "/events", headers, body)
            assert status == 400, status
        during = player.rss()
        stalled.close()
        time.sleep(1)
        return during, player.rss()
    finally:
        player.stop()


def idle_streams(binary, count=5000):
    """RSS per idle stream with `count` open, and RSS once they have closed."""
    player = Player(binary)
    try:
        before = player.rss()
        streams = [open_stream() for _ in range(count)]
        time.sleep(1)
        open_rss = player.rss()
        for sock in streams:
            sock.close()
        # The server checks every 5 s whether to give memory back.
        time.sleep(7)
        return (open_rss - before) * 1024 / count, before, player.rss()
    finally:
        player.stop()


def stalled_connections(binary, count=900, limit=60):
    """Seconds until the server has closed `count` connections that never finish their head."""
    player = Player(binary)
    try:
        socks = []
        for _ in range(count):
            sock = connect()
            sock.sendall(b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sock.setblocking(False)
            socks.append(sock)
        start = time.time()
        open_socks = set(socks)
        while open_socks and time.time() - start < limit:
            for sock in list(open_socks):
                try:
                    if sock.recv(1024) == b"":
                        open_socks.discard(sock)
                except BlockingIOError:
                    pass
                except OSError:
                    open_socks.discard(sock)
            time.sleep(0.2)
        elapsed = time.time() - start
        for sock in socks:
            sock.close()
        return elapsed if not open_socks else None, len(open_socks)
    finally:
        player.stop()


def sigterm_with_stalled_client(binary, limit=30):
    """Seconds from SIGTERM to exit with a stalled stream and a request whose body never ends."""
    player = Player(binary)
    try:
        stalled = open_stream()
        event = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data": "y" * 100_000}
        for i in range(50):
            event["id"] = str(i)
            request("POST", "/events", [("Content-Type", "application/cloudevents+json")], json.dumps(event).encode())
        slow = connect()
        slow.sendall(b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cloudevents+json\r\n"
                     b"Content-Length: 1000\r\n\r\n{")
        time.sleep(0.2)
        start = time.time()
        player.proc.send_signal(signal.SIGTERM)
        try:
            player.proc.wait(timeout=limit)
            elapsed = time.time() - start
        except subprocess.TimeoutExpired:
            elapsed = None
        stalled.close()
        slow.close()
        return elapsed
    finally:
        player.stop()


def fmt(value, unit):
    return "never (cut off)" if value is None else f"{value:.1f} {unit}"


def run(binary):
    figures = {}
    before, after = big_events(binary)
    figures["RSS after 300 x 1 MB events (MiB)"] = after
    during, after_close = large_rejections(binary)
    figures["RSS, 3,000 large rejections + stalled stream (MiB)"] = during
    figures["  ... after the stalled stream left (MiB)"] = after_close
    per_stream, base, closed = idle_streams(binary)
    figures["RSS per idle stream, 5,000 open (KiB)"] = per_stream
    figures["RSS after 5,000 streams closed (MiB)"] = closed
    figures["  ... RSS before they opened (MiB)"] = base
    seconds, left = stalled_connections(binary)
    figures["900 stalled connections all closed after (s)"] = seconds
    figures["SIGTERM to exit, stalled clients (s)"] = sigterm_with_stalled_client(binary)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="target/release/cloudevent-player")
    parser.add_argument("--baseline")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    runs = {"server": run(args.server)}
    if args.baseline:
        runs["baseline"] = run(args.baseline)
    names = list(runs["server"])
    print(f"{'figure':<52} {'server':>16}" + (f" {'baseline':>16}" if args.baseline else ""))
    for name in names:
        row = f"{name:<52} {fmt(runs['server'][name], ''):>16}"
        if args.baseline:
            row += f" {fmt(runs['baseline'][name], ''):>16}"
        print(row)


if __name__ == "__main__":
    main()
