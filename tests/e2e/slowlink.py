#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""slowlink.py --to PORT --rate BYTES_PER_S --port-file FILE [--log FILE]

A slow link for the tests: a TCP proxy on 127.0.0.1 (a port of its own,
picked by the kernel and written to FILE) in front of 127.0.0.1:PORT that
forwards each direction of each connection at RATE bytes per second at
most. Small socket buffers on both sides (SO_RCVBUF/SO_SNDBUF 32 KiB), so
that the sender feels the rate after a few tens of KiB rather than after
the megabytes that autotuned buffers would take in first. Logs, per
connection when it ends: bytes and seconds each way. Runs until killed.
"""
import argparse
import socket
import sys
import threading
import time

CHUNK = 16384
BUF = 32768


def pump(src, dst, rate, stats, key):
    t0 = time.monotonic()
    due = t0
    n = 0
    try:
        while True:
            data = src.recv(CHUNK)
            if not data:
                break
            dst.sendall(data)
            n += len(data)
            # Pace: the next read waits until these bytes' time is over.
            due = max(due, time.monotonic() - 0.05) + len(data) / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    except OSError:
        pass
    finally:
        stats[key] = (n, time.monotonic() - t0)
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def serve(conn, peer, args, log, lock):
    try:
        up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        up.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUF)
        up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUF)
        up.connect(("127.0.0.1", args.to))
    except OSError as e:
        with lock:
            print(f"{time.time():.3f} {peer}: cannot reach port {args.to}: {e}", file=log, flush=True)
        conn.close()
        return
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUF)
    stats = {}
    threads = [threading.Thread(target=pump, args=(conn, up, args.rate, stats, "up")),
               threading.Thread(target=pump, args=(up, conn, args.rate, stats, "down"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conn.close()
    up.close()
    with lock:
        (ub, us), (db, ds) = stats["up"], stats["down"]
        print(f"{time.time():.3f} {peer}: up {ub} bytes in {us:.2f} s, down {db} bytes in {ds:.2f} s",
              file=log, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", type=int, required=True)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    log = open(args.log, "a") if args.log else sys.stderr
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUF)	# inherited by accepted sockets
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(f"{ls.getsockname()[1]}\n")
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    lock = threading.Lock()
    print(f"{time.time():.3f} listening on 127.0.0.1:{ls.getsockname()[1]} -> {args.to}, "
          f"{args.rate:.0f} bytes/s each way", file=log, flush=True)
    while True:
        conn, peer = ls.accept()
        threading.Thread(target=serve, args=(conn, f"{peer[0]}:{peer[1]}", args, log, lock),
                         daemon=True).start()


if __name__ == "__main__":
    main()
