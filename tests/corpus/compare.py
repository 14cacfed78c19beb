#!/usr/bin/env python3
"""Runs a corpus of plugin requests and command lines through two builds of the binary and
compares what each writes (stdout, exit code) byte for byte.

    tests/corpus/compare.py OLD_BINARY NEW_BINARY [--keep DIR]

A refactoring must leave every output the same; a change of behaviour shows here as a diff
to look at. Run from anywhere; the cases use the project's fixtures, MaxMind's test databases
(env MAXMIND_TEST_DATA, default ../shared/maxmind-db) and, when present, GeoLite2-City for a
large bulk (env BENCH_CITY, default target/bench-work/GeoLite2-City.mmdb).
"""
import base64
import json
import os
import random
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("MAXMIND_TEST_DATA", os.path.join(ROOT, "..", "shared", "maxmind-db"))
TEST_DATA = os.path.join(DATA, "test-data")
BAD_DATA = os.path.join(DATA, "bad-data")
CITY = os.environ.get("BENCH_CITY", os.path.join(ROOT, "target", "bench-work", "GeoLite2-City.mmdb"))
FIX = os.path.join(ROOT, "fixtures")
REPORT = os.path.join(FIX, "attachments", "apt-report.txt")


def request(action, config, obj, params=None):
    return json.dumps({"action": action, "config": config, "object": obj, "params": params or {}})


def lookup(value, config, **extra):
    obj = {"type": "indicator", "indicator_type": "IP Address", "value": value, "id": 1}
    obj.update(extra)
    return request("lookup", config, obj)


def bulk(config, params=None, **obj):
    attachment = {"type": "attachment", "id": 2, "name": "a.txt", "description": "<p>old</p>"}
    attachment.update(obj)
    return request("lookup_all_related_ips", config, attachment, params)


def cases(work):
    """(name, argv, stdin bytes) for every case."""
    out = []
    fixtures = sorted(f for f in os.listdir(FIX) if f.endswith(".mmdb"))
    fixture_ips = ["81.2.69.142", "2.125.160.216", "89.160.20.115", "216.160.83.60", "2a02:ff80::1",
                   "67.43.156.9", "202.196.224.5", "1.128.0.9", "10.1.12.1", "175.16.199.0",
                   "2001:480::1", "81.2.69.160", "149.101.100.3", "1.2.3.4", "::1", "8.8.8.8"]
    content = " ".join(fixture_ips) + "\n" + open(REPORT).read()
    for ctx in ["city", "country", "asn", "auto"]:
        for locale in ["en", "de", "zh-CN"]:
            config = {"db_dir": FIX, "mmdb_filename": fixtures, "context_type": ctx, "locale": locale}
            out.append((f"bulk-all-fixtures-{ctx}-{locale}", [], bulk(config, content=content).encode()))
        for f in fixtures:
            config = {"db_dir": FIX, "mmdb_filename": f, "context_type": ctx}
            out.append((f"bulk-{f}-{ctx}", [], bulk(config, content=content).encode()))
            for ip in fixture_ips[:8]:
                out.append((f"lookup-{f}-{ctx}-{ip}", [], lookup(ip, config).encode()))
    plain = {"db_dir": FIX, "mmdb_filename": "GeoIP2-City-Fixture.mmdb"}
    for value in ["81.2.69[.]142", " 81.2.69.142 ", "::ffff:81.2.69.142", "1.2.3.4/24", "1.2.3.4:80",
                  "fe80::1%eth0", "not an ip", "", "2001:db8[:]:1", "81[Dot]2[Dot]69[Dot]142",
                  "[2001:db8::1]", "hxxp://81.2.69[.]142/gate", "999.1.1.1"]:
        out.append((f"lookup-value-{value!r}", [], lookup(value, plain).encode()))
    errors = [
        ("empty", b""), ("not-json", b"{"), ("array", b"[]"),
        ("unknown-action", request("nope", plain, {}).encode()),
        ("no-object", json.dumps({"action": "lookup", "config": plain}).encode()),
        ("bad-locale", lookup("81.2.69.142", dict(plain, locale="xx")).encode()),
        ("bad-context", lookup("81.2.69.142", dict(plain, context_type="street")).encode()),
        ("no-db", lookup("81.2.69.142", {"db_dir": FIX}).encode()),
        ("missing-db", lookup("81.2.69.142", {"db_dir": FIX, "mmdb_filename": "nope.mmdb"}).encode()),
        ("escape-db", lookup("81.2.69.142", {"db_dir": FIX, "mmdb_filename": "../Cargo.toml"}).encode()),
        ("context-mismatch", lookup("81.2.69.142", {"db_dir": FIX, "mmdb_filename": "GeoIP2-City-Fixture.mmdb", "context_type": "asn"}).encode()),
        ("unknown-key", lookup("81.2.69.142", dict(plain, mmdb_filenme="x")).encode()),
        ("web-no-creds", lookup("81.2.69.142", {"source": "web_api"}).encode()),
        ("mapbox-secret", bulk(dict(plain, use_mapbox=True, mapbox_api_key="sk.abc"), content="1.2.3.4").encode()),
        ("indicator-type", lookup("2a02:ff80::1", plain).encode()),
        ("fqdn", request("lookup", plain, {"type": "indicator", "indicator_type": "FQDN", "value": "x"}).encode()),
        ("bulk-on-indicator", request("lookup_all_related_ips", plain, {"type": "indicator", "value": "1.2.3.4"}).encode()),
        ("bad-base64", bulk(plain, content_base64="!!!").encode()),
        ("path-escape", bulk(plain, path="../etc/passwd").encode()),
        ("max-ips", bulk(dict(plain, max_ips="3"), content=content).encode()),
        ("dry-run-files", bulk(plain, {"dry_run": True}, content=content).encode()),
        ("no-description", bulk(plain, {"apply_results_to_description": False}, content=content).encode()),
        ("params-unknown", lookup("81.2.69.142", plain).replace('"params": {}', '"params": {"x": 1}').encode()),
    ]
    for name, stdin in errors:
        out.append((f"error-{name}", [], stdin))
    out.append(("bulk-related", [], bulk(plain, related_indicators=[
        {"type": "IP Address", "value": "81.2.69.142"}, {"type": "IPv6 Address", "value": "2a02:ff80::1"},
        {"type": "IP Address", "value": "bogus"}, {"type": "FQDN", "value": "x.example"}],
        content=content).encode()))
    out.append(("bulk-base64", [], bulk(plain, content_base64=base64.b64encode(content.encode("utf-16")).decode()).encode()))
    out.append(("bulk-path", [], bulk(dict(plain, attachment_dir=os.path.dirname(REPORT)), path="apt-report.txt").encode()))
    out.append(("bulk-mapbox", [], bulk(dict(plain, use_mapbox=True, mapbox_api_key="pk.eyJ1IjoiZXhhbXBsZSJ9.x"),
                                        content=content, description="<p>a</p><!-- maxmind-geolocate:begin -->x<!-- maxmind-geolocate:end -->").encode()))
    # MaxMind's test databases: every network of each, in every context.
    if os.path.isdir(TEST_DATA):
        for f in sorted(os.listdir(TEST_DATA)):
            if not f.endswith(".mmdb"):
                continue
            db = os.path.join(TEST_DATA, f)
            for ctx in ["auto", "city", "asn"]:
                out.append((f"within-{f}-{ctx}", ["lookup", "::/0", "--db", db, "--context", ctx, "--max-db-age", "0",
                                                 "--format", "ndjson"], b""))
            out.append((f"within4-{f}", ["lookup", "0.0.0.0/0", "--db", db, "--context", "auto", "--locale", "de",
                                         "--max-db-age", "0"], b""))
            out.append((f"info-{f}", ["db", "info", db], b""))
            out.append((f"verify-{f}", ["db", "verify", db], b""))
        for folder, _, files in sorted(os.walk(BAD_DATA)):
            sub = os.path.relpath(folder, BAD_DATA)
            for f in sorted(files):
                if f.endswith(".mmdb"):
                    db = os.path.join(folder, f)
                    out.append((f"bad-{sub}-{f}", ["lookup", "1.1.1.1", "81.2.69.142", "::1:ffff:ffff", "--db", db, "--max-db-age", "0"], b""))
                    out.append((f"bad-verify-{sub}-{f}", ["db", "verify", db], b""))
        merged = [os.path.join(TEST_DATA, n) for n in ["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb",
                                                          "GeoIP2-Anonymous-IP-Test.mmdb", "GeoIP2-ISP-Test.mmdb",
                                                          "GeoIP2-Domain-Test.mmdb", "GeoIP2-Connection-Type-Test.mmdb"]]
        args = []
        for m in merged:
            args += ["--db", m]
        out.append(("merged-within", ["lookup", "::/0"] + args + ["--max-db-age", "0", "--format", "ndjson"], b""))
    # The command line's formats.
    db = ["--db", os.path.join(FIX, "GeoIP2-City-Fixture.mmdb"), "--db", os.path.join(FIX, "GeoLite2-ASN-Fixture.mmdb"), "--max-db-age", "0"]
    for fmt in ["json", "ndjson", "csv", "table"]:
        out.append((f"cli-lookup-{fmt}", ["lookup"] + fixture_ips + db + ["--format", fmt], b""))
        out.append((f"cli-lookup-{fmt}-fields", ["lookup"] + fixture_ips + db + ["--format", fmt, "--field", "ip,city,asn,location.accuracy_radius,subdivisions.0.iso_code"], b""))
        out.append((f"cli-bulk-{fmt}", ["bulk", REPORT] + db + ["--format", fmt], b""))
    out.append(("cli-lookup-pretty", ["lookup", "81.2.69.142", "--pretty"] + db, b""))
    out.append(("cli-lookup-stdin", ["lookup", "-"] + db, ("\n".join(fixture_ips) + "\n# c\n\n").encode()))
    desc = os.path.join(work, "desc.html")
    out.append(("cli-bulk-description", ["bulk", REPORT, "--description", desc] + db + ["--format", "csv"], b""))
    out.append(("cli-extract", ["extract", REPORT], b""))
    out.append(("cli-extract-source", ["extract", REPORT, "--with-source"], b""))
    out.append(("cli-extract-stdin", ["extract", "-"], content.encode("utf-16")))
    out.append(("cli-run-ndjson", ["run", "--ndjson"], (lookup("81.2.69.142", plain) + "\n" + lookup("10.0.0.1", plain) + "\nnot json\n").encode()))
    # A large bulk on real data, when it is at hand.
    if os.path.exists(CITY):
        rng = random.Random(7)
        ips = []
        for _ in range(20000):
            if rng.random() < 0.1:
                ips.append(str(__import__("ipaddress").IPv6Address(rng.getrandbits(128) | (0x2 << 124))))
            else:
                ips.append(".".join(str(rng.randrange(1, 224)) for _ in range(4)))
        text = "\n".join(f"src={ip} dst=10.0.0.{i % 250}" for i, ip in enumerate(ips))
        big = os.path.join(work, "big.log")
        open(big, "w").write(text)
        config = {"db_dir": os.path.dirname(CITY), "mmdb_filename": os.path.basename(CITY), "attachment_dir": work}
        out.append(("big-bulk-path", [], bulk(config, path="big.log").encode()))
        out.append(("big-bulk-content", [], bulk(dict(config, use_mapbox=True, mapbox_api_key="pk.x"), content=text).encode()))
        out.append(("big-bulk-country", [], bulk(dict(config, context_type="country", locale="ja"), path="big.log").encode()))
        out.append(("big-cli-csv", ["bulk", big, "--db", CITY, "--format", "csv", "--max-db-age", "0"], b""))
    return out


def run(binary, argv, stdin):
    p = subprocess.run([binary] + argv, input=stdin, capture_output=True, cwd=ROOT, timeout=300)
    # The one clock value in any output: how long `db verify` took.
    return p.returncode, re.sub(rb"verified in \d+ ms", b"verified in N ms", p.stdout)


def main():
    old, new = sys.argv[1], sys.argv[2]
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    work = tempfile.mkdtemp(prefix="corpus-")
    all_cases = cases(work)
    differ = 0
    for name, argv, stdin in all_cases:
        a = run(old, argv, stdin)
        desc_a = open(os.path.join(work, "desc.html"), "rb").read() if "--description" in argv else b""
        b = run(new, argv, stdin)
        desc_b = open(os.path.join(work, "desc.html"), "rb").read() if "--description" in argv else b""
        if a != b or desc_a != desc_b:
            differ += 1
            print(f"DIFFERS: {name} (exit {a[0]} / {b[0]}, {len(a[1])} / {len(b[1])} bytes)")
            if keep:
                os.makedirs(keep, exist_ok=True)
                safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in name)
                open(os.path.join(keep, safe + ".old"), "wb").write(a[1] + desc_a)
                open(os.path.join(keep, safe + ".new"), "wb").write(b[1] + desc_b)
    print(f"{len(all_cases)} cases, {differ} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
