#!/usr/bin/env python3
"""One TCP stream's goodput, the reference for the all-reduces of bench/hosts.sh:
    tcp_stream.py receive ADDRESS PORT          (prints nothing; acknowledges the end with one byte)
    tcp_stream.py send ADDRESS PORT MB          (prints {"tcp_ms": …, "tcp_MBps": …})
"""
import json, socket, sys, time

def main():
    mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "receive":
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port)); s.listen(1)
        c, _ = s.accept()
        total = int.from_bytes(c.recv(8, socket.MSG_WAITALL), "little")
        buf = bytearray(1 << 20); got = 0
        while got < total:
            n = c.recv_into(buf)
            if n == 0: raise SystemExit("tcp_stream: the sender closed early")
            got += n
        c.sendall(b"k"); c.close()
        return
    total = int(float(sys.argv[4]) * 1e6)
    for _ in range(50):
        try:
            c = socket.create_connection((address, port)); break
        except OSError:
            time.sleep(0.1)
    else:
        raise SystemExit("tcp_stream: no receiver")
    chunk = bytes(1 << 20)
    t0 = time.perf_counter()
    c.sendall(total.to_bytes(8, "little"))
    sent = 0
    while sent < total:
        n = min(len(chunk), total - sent)
        c.sendall(chunk[:n]); sent += n
    c.recv(1)
    t = time.perf_counter() - t0
    print(json.dumps({"mode": "tcp", "tcp_ms": t * 1e3, "tcp_MBps": total / t / 1e6}))

if __name__ == "__main__":
    main()
