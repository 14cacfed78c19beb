#!/usr/bin/env python3
"""Writes a mixed threat-intel corpus (logs, prose, JSON, CSV, defanged forms, decoys) with a
fixed seed, and the set of addresses a correct extractor finds in it.

    make_corpus.py OUT.txt TRUTH.txt [MEGABYTES]

TRUTH.txt holds, for each line of OUT.txt, the canonical addresses of that line (space
separated), so any prefix of the corpus has its own ground truth.
"""
import ipaddress
import random
import sys

rng = random.Random(20261127)


def public_v4():
    while True:
        ip = ipaddress.IPv4Address(rng.getrandbits(32))
        if ip.is_global:
            return str(ip)


def public_v6():
    while True:
        ip = ipaddress.IPv6Address((0x2000 << 112) | rng.getrandbits(112))
        if ip.is_global:
            return ip


def defang(ip):
    style = rng.randrange(6)
    if style == 0:
        return ip.replace(".", "[.]")
    if style == 1:
        head, _, tail = ip.rpartition(".")
        return f"{head}[.]{tail}"
    if style == 2:
        return ip.replace(".", "(.)", 1)
    if style == 3:
        return ip.replace(".", "{.}")
    if style == 4:
        return ip.replace(".", "[dot]")
    return ip


DECOYS = [
    lambda: f"version {rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
    lambda: f"v{rng.randint(1, 20)}.0.0.1.{rng.randint(1, 9)}",
    lambda: f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
    lambda: f"0{rng.randint(10, 99)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
    lambda: f"a{rng.randint(1, 9)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
    lambda: f"{rng.randint(1, 99)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(10, 99)}x",
    lambda: "OID 2.5.29.17",
    lambda: f"{rng.randint(0, 23):02}:{rng.randint(0, 59):02}:{rng.randint(0, 59):02}",
    lambda: ":".join(f"{rng.randint(0, 255):02x}" for _ in range(6)),
    lambda: f"{rng.randint(1, 9)} . {rng.randint(1, 9)} . {rng.randint(1, 9)} . {rng.randint(1, 9)}",
    lambda: f"pi is {rng.random() * 10:.5f}",
    lambda: "std::vector<int>",
]


def line():
    kind = rng.randrange(7)
    a, b = public_v4(), public_v4()
    if kind == 0:
        private = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        text = (f"Jan {rng.randint(1, 28):2} {rng.randint(0, 23):02}:{rng.randint(0, 59):02}:{rng.randint(0, 59):02} "
                f"fw01 kernel: DROP src={a} dst={private} proto=TCP spt={rng.randint(1024, 65535)} dpt=443 len=60")
        return text, [a, private]
    if kind == 1:
        return (f'{a} - - [02/Jan/2026:10:20:31 +0000] "GET /wp-login.php HTTP/1.1" 404 {rng.randint(100, 9999)} '
                f'"-" "Mozilla/5.0" forwarded-for {b}:{rng.randint(1024, 65535)}'), [a, b]
    if kind == 2:
        v6 = public_v6()
        form = rng.randrange(3)
        written = v6.exploded if form == 0 else f"[{v6.compressed}]:8443" if form == 1 else v6.compressed
        return (f"The actor staged payloads on {defang(a)} and hxxp://{defang(b)}/gate.php, then moved to "
                f"{written} ({DECOYS[rng.randrange(len(DECOYS))]()})."), [a, b, v6.compressed]
    if kind == 3:
        v6 = public_v6()
        return (f'{{"src_ip": "{a}", "dst_ip": "{v6.compressed.replace("::", "[:]:", 1) if "::" in v6.compressed else v6.compressed}", '
                f'"note": "{DECOYS[rng.randrange(len(DECOYS))]()}", "count": {rng.randint(1, 99)}}}'), [a, v6.compressed]
    if kind == 4:
        return f"{a},ipv4,2026-01-0{rng.randint(1, 9)},{rng.choice(['c2', 'scanner', 'tor'])},{b}/24", [a, b]
    if kind == 5:
        return (f"Received: from mail.example ([{a}]) by mx.example; also ::ffff:{b} and "
                f"{DECOYS[rng.randrange(len(DECOYS))]()}"), [a, b]
    return " ".join(DECOYS[rng.randrange(len(DECOYS))]() for _ in range(4)), []


def main():
    out, truth = sys.argv[1], sys.argv[2]
    megabytes = float(sys.argv[3]) if len(sys.argv) > 3 else 50
    limit = int(megabytes * (1 << 20))
    size = 0
    with open(out, "w") as o, open(truth, "w") as t:
        while size < limit:
            text, ips = line()
            o.write(text + "\n")
            t.write(" ".join(ips) + "\n")
            size += len(text) + 1


main()
