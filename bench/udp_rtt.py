#!/usr/bin/env python3
"""Round-trip time between two hosts, a ping over UDP (no ping binary needed; bench/hosts.sh):
    udp_rtt.py echo ADDRESS PORT             (answers every datagram; ends after 10 s without one)
    udp_rtt.py ping ADDRESS PORT [COUNT]     (prints {"rtt_ms_median": …, "rtt_ms_min": …, "rtt_ms_max": …})
"""
import json, socket, statistics, sys, time

def main():
    mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if mode == "echo":
        s.bind((address, port)); s.settimeout(10)
        try:
            while True:
                data, peer = s.recvfrom(2048)
                if data == b"end": return
                s.sendto(data, peer)
        except socket.timeout:
            return
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    s.settimeout(1.0)
    rtts = []
    for i in range(count + 50):
        t0 = time.perf_counter()
        s.sendto(i.to_bytes(8, "little"), (address, port))
        try:
            while int.from_bytes(s.recv(2048), "little") != i: pass
        except socket.timeout:
            continue
        if i >= 3: rtts.append((time.perf_counter() - t0) * 1e3)  # the first ones pay for ARP
        if len(rtts) == count: break
        time.sleep(0.01)
    s.sendto(b"end", (address, port))
    if not rtts: raise SystemExit(f"udp_rtt: no answer from {address}:{port}")
    print(json.dumps({"mode": "rtt", "rtt_ms_median": statistics.median(rtts), "rtt_ms_min": min(rtts), "rtt_ms_max": max(rtts)}))

if __name__ == "__main__":
    main()
