#!/usr/bin/env python3
"""The document layer beside its peers, in one run (issue 20, "Speed and memory"):

    benches/documents.py [--runs N] [--peer-runs N] [--cache DIR] [BINARY]

1. PDF, whole process, on a 100-page report and a 2,000-page log export (made here with
   reportlab: standard Helvetica, Flate streams, addresses in prose, tables, columns and
   wrapped lines): `BINARY extract FILE` beside poppler's `pdftotext FILE -`, `pdftotext FILE -
   | BINARY extract -`, Python `pypdf` and `ioc-finder` on pdftotext's text. Every address
   our scan finds in pdftotext's text must be in `extract FILE`'s output, else exit 1.
2. DOCX, XLSX, a ZIP of logs and a gzipped log (python-docx, openpyxl, zipfile, gzip): MB/s of
   decoded text (goal >= 100), beside `unzip -p` / `zcat` piped to `extract -`, and the time
   that inflating the file's members alone takes (C zlib, one core): the most any reader of it
   can do.
3. Plain text: `extract` on /work/bench-data/corpus.txt (benches/make_corpus.py; made here
   if missing), MB/s (goal >= 200), precision and recall against its truth.txt.

Every document also holds known addresses: each must be found (exit 1 if not). Documents are
made once into the cache (target/bench-documents; some minutes) and reused, with what the
Python peers made of them (pypdf takes minutes on the log export). A figure is the median
wall time of N runs, the tools of one document taking turns so that the machine's drift
reaches them alike; CPU is user and system time (a child's included). Peak RSS is the largest
process's (ours decodes in a child process), measured by GNU time around each run: a process
spawned from Python reports Python's own RSS as its peak through os.wait4 (Linux keeps the
peak across exec), and this script holds megabytes of documents. MB is 10^6 bytes; decoded
text is what the generator wrote: each paragraph's or cell's text and a separator, the
archives' members. The Python peers are slow: they get --peer-runs runs (default 3).
Needs poppler-utils and unzip (apt-get), pypdf and ioc-finder (pip); a peer missing is said
and skipped.
"""
import argparse
import gzip
import importlib.util
import ipaddress
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A generator's version: when it changes, its cached document is made again.
VERSIONS = {"make_report_pdf": 2, "make_log_pdf": 2, "make_docx": 2, "make_xlsx": 3, "make_zip": 2, "make_gzip": 2}
TIME = "/usr/bin/time"
CORPUS = "/work/bench-data/corpus.txt"


def say(line=""):
    print(line, flush=True)


# Addresses ----------------------------------------------------------------------------------
def public_v4(rng):
    while True:
        ip = ipaddress.IPv4Address(rng.getrandbits(32))
        if ip.is_global and not ip.is_multicast and not ip.is_reserved:
            return str(ip)


def private_v4(rng):
    return rng.choice([f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                       f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                       f"172.{rng.randrange(16, 32)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"])


def public_v6(rng):
    # Inside the RIRs' allocations (2400::/12, 2600::/12, 2800::/12, 2a00::/12, 2c00::/12):
    # the scan leaves unassigned space out of text. Hosts as they are written: ::1, ::a:b, or
    # 64 random bits.
    top = rng.choice([0x2400, 0x2600, 0x2800, 0x2A00, 0x2C00]) + rng.randrange(16)
    net = (top << 112) | (rng.getrandbits(48) << 64)
    host = rng.choice([1, rng.getrandbits(16), rng.getrandbits(32), rng.getrandbits(64)])
    return ipaddress.IPv6Address(net | host).compressed


class Addresses:
    """Hands out addresses and keeps them: the document's ground truth."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.given = set()
        self.last = []  # since the caller last emptied it

    def keep(self, ip):
        self.given.add(ip)
        self.last.append(ip)
        return ip

    def v4(self):
        return self.keep(private_v4(self.rng) if self.rng.random() < 0.15 else public_v4(self.rng))

    def v6(self):
        return self.keep(public_v6(self.rng))

    def any(self, v6=True):
        return self.v6() if v6 and self.rng.random() < 0.2 else self.v4()


WORDS = ("the host beaconed to a server at regular intervals while the analyst reviewed "
         "outbound traffic from the subnet and flagged connections that matched the campaign "
         "indicators seen in earlier incidents across several customers during the quarter "
         "with lateral movement credential reuse and a scheduled task persisting on the "
         "workstation before exfiltration over HTTPS to infrastructure rented by the actor").split()


def prose(rng, addresses, words, ips, v6=True):
    out = [rng.choice(WORDS) for _ in range(words)]
    for _ in range(ips):
        ip = addresses.any(v6)
        out.insert(rng.randrange(len(out)), rng.choice([f"{ip}", f"({ip})", f"{ip},", f"from {ip}", f"to {ip}."]))
    text = " ".join(out)
    return text[0].upper() + text[1:] + "."


MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def log_line(rng, a):
    """One line of a log, 1 to 6 addresses; some long enough to wrap on a page."""
    t = f"{rng.choice(MONTHS)} {rng.randrange(1, 29):2d} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
    host = f"{rng.choice(['edge', 'bastion', 'mail', 'web', 'fw'])}-{rng.randrange(1, 40):02d}"
    kind = rng.randrange(7)
    if kind == 0:
        return (f"{t} {host} sshd[{rng.randrange(1000, 65000)}]: Failed password for invalid user "
                f"{rng.choice(['admin', 'root', 'oracle', 'test'])} from {a.v4()} port {rng.randrange(1024, 65535)} ssh2")
    if kind == 1:
        return (f"{t} {host} kernel: [FW-DROP] IN=eth0 OUT= SRC={a.v4()} DST={a.v4()} LEN={rng.randrange(40, 1500)} "
                f"TTL={rng.randrange(30, 128)} PROTO=TCP SPT={rng.randrange(1024, 65535)} DPT={rng.choice([22, 443, 3389, 445])}")
    if kind == 2:
        return (f'{a.v4()} - - [03/Dec/2026:{rng.randrange(24):02d}:{rng.randrange(60):02d}:00 +0000] "GET /api/v1/items?id='
                f'{rng.randrange(10**6)} HTTP/1.1" {rng.choice([200, 404, 302])} {rng.randrange(99999)} "-" "Mozilla/5.0" '
                f"upstream={a.v4()}:8080")
    if kind == 3:
        return f"{t} {host} postfix/smtpd[{rng.randrange(1000, 65000)}]: connect from mail{rng.randrange(99)}.example.net[{a.v6()}]"
    if kind == 4:
        return (f"{t} {host} haproxy[{rng.randrange(1000, 65000)}]: {a.v4()}:{rng.randrange(1024, 65535)} "
                f"X-Forwarded-For: {a.v4()}, {a.v4()}, {a.v6()} backend=app/{a.v4()}:443 {rng.randrange(1, 999)}ms")
    if kind == 5:
        return (f"{t} {host} dnsmasq[{rng.randrange(1000, 65000)}]: reply cdn{rng.randrange(99)}.example.com is "
                + ", ".join(a.any() for _ in range(rng.randrange(3, 7))) + " (cached, ttl 300)")
    return f"{t} {host} sshd[{rng.randrange(1000, 65000)}]: Accepted publickey for deploy from [{a.v6()}]:{rng.randrange(1024, 65535)}"


# Documents ----------------------------------------------------------------------------------
def make_report_pdf(path, pages):
    """A report: each page a heading, prose with addresses, a table of hosts (addresses in
    cells, a notes column that wraps), and a paragraph listing addresses that wraps. The
    narrow notes hold IPv4 only: reportlab breaks a word longer than its cell, an IPv6
    address among them, and the address is then on two lines for every reader."""
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    rl_config.invariant = 1
    rng, a = random.Random(100), Addresses(101)
    styles = getSampleStyleSheet()
    story = []
    for i in range(1, pages + 1):
        story.append(Paragraph(f"{i}. Incident {rng.randrange(10000, 99999)}: activity from AS{rng.randrange(1000, 65000)}", styles["Heading2"]))
        story.append(Paragraph(prose(rng, a, 90, 2), styles["Normal"]))
        rows = [["Host", "Address", "First seen", "Notes"]]
        for _ in range(8):
            note = prose(rng, a, 12, 1 if rng.random() < 0.5 else 0, v6=False)
            rows.append([f"host-{rng.randrange(999):03d}.corp", a.any(), f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                         Paragraph(note, styles["BodyText"])])
        table = Table(rows, colWidths=[85, 165, 65, 170])
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTSIZE", (0, 1), (2, -1), 8),
                                   ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
        listed = ", ".join(a.any() for _ in range(rng.randrange(4, 9)))
        story.append(Paragraph(f"Blocked at the perimeter on {rng.randrange(1, 29)} March: {listed}; "
                               + prose(rng, a, 40, 1), styles["Normal"]))
        story.append(PageBreak())
    SimpleDocTemplate(path, pagesize=A4, pageCompression=1, title="Quarterly incident report").build(story)
    return a.given, None


def make_log_pdf(path, pages):
    """A log export: Helvetica 7.5 pt, 80 lines a page; long lines wrapped at a space with
    an indented continuation (on to the next page if need be); every fourth page a
    connection table in columns. The truth holds the addresses of the lines drawn whole."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    rng, a = random.Random(200), Addresses(201)
    width, height = A4
    size, leading, left, usable = 7.5, 9.5, 36, A4[0] - 72
    truth, pending, pending_ips = set(), [], []

    def wrapped(line):
        pieces = []
        while stringWidth(line, "Helvetica", size) > usable:
            cut = len(line)
            while cut > 0 and (line[cut - 1] != " " or stringWidth(line[:cut - 1], "Helvetica", size) > usable):
                cut -= 1
            pieces.append(line[:cut - 1])
            line = "    " + line[cut:]
        return pieces + [line]

    c = canvas.Canvas(path, pagesize=A4, invariant=1, pageCompression=1)
    for page in range(pages):
        c.setFont("Helvetica", size)
        y = height - 40
        if page % 4 == 3:
            columns = [("time", 0), ("source", 60), ("sport", 220), ("destination", 255), ("dport", 415), ("action", 450)]
            for name, x in columns:
                c.drawString(left + x, y, name.upper())
            y -= leading
            while y > 40:
                a.last = []
                values = [f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}", a.any(),
                          str(rng.randrange(1024, 65535)), a.any(), str(rng.choice([22, 53, 443, 3389])),
                          rng.choice(["ALLOW", "DENY", "RESET"])]
                truth.update(a.last)
                for (_, x), value in zip(columns, values):
                    c.drawString(left + x, y, value)
                y -= leading
        else:
            while y > 40:
                if not pending:
                    a.last = []
                    pending = wrapped(log_line(rng, a))
                    pending_ips = a.last
                c.drawString(left, y, pending.pop(0))
                y -= leading
                if not pending:
                    truth.update(pending_ips)
        c.showPage()
    c.save()
    return truth, None


def make_docx(path, megabytes):
    """Paragraphs (some in two runs, an address split between them, as Word writes after an
    edit) and a table of 20 rows every 200 paragraphs. Returns the text's size: each
    paragraph's and cell's text and one separator."""
    import docx
    from docx.oxml import OxmlElement
    from docx.text.paragraph import Paragraph

    rng, a = random.Random(300), Addresses(301)
    document, scratch = docx.Document(), docx.Document()
    # python-docx looks for the section properties among the body's children before each
    # insertion (quadratic on 100,000 paragraphs): append to the body, theirs put back last.
    body = document.element.body
    section = body.sectPr
    body.remove(section)
    size, n = 0, 0
    while size < megabytes * 1_000_000:
        n += 1
        text = prose(rng, a, 35, 2)
        element = OxmlElement("w:p")
        body.append(element)
        p = Paragraph(element, document._body)
        if n % 20 == 0:
            ip = a.v4()
            half = len(ip) // 2
            p.add_run(f"Source address: {ip[:half]}").bold = True
            p.add_run(f"{ip[half:]} — {text}")
            text = f"Source address: {ip} — {text}"
        else:
            p.add_run(text)
        size += len(text.encode()) + 1
        if n % 200 == 0:
            table = scratch.add_table(rows=20, cols=4)
            for row in table.rows:
                values = [f"host-{rng.randrange(999):03d}", a.any(), a.any(), rng.choice(["blocked", "allowed", "review"])]
                for cell, value in zip(row.cells, values):
                    cell.text = value
                    size += len(value.encode()) + 1
            body.append(table._tbl)
    body.append(section)
    document.save(path)
    return a.given, size


def make_xlsx(path, megabytes):
    """Two sheets of connection rows (strings in the shared strings table, numbers as
    numbers). Returns the text's size: each cell's value as text and one separator."""
    import openpyxl

    rng, a = random.Random(400), Addresses(401)
    book = openpyxl.Workbook(write_only=True)
    size = 0
    for sheet_name in ("connections", "blocked"):
        sheet = book.create_sheet(sheet_name)
        header = ["time", "source", "sport", "destination", "dport", "proto", "action", "bytes", "note"]
        sheet.append(header)
        size += sum(len(h) + 1 for h in header)
        while size < megabytes * 1_000_000 * (1 if sheet_name == "blocked" else 0.5):
            row = [f"2026-12-{rng.randrange(1, 29):02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}", a.any(),
                   rng.randrange(1024, 65535), a.any(), rng.choice([22, 53, 443, 3389]), rng.choice(["tcp", "udp"]),
                   rng.choice(["ALLOW", "DENY", "RESET"]), rng.randrange(10**7), rng.choice(["", "scanner", "known bad", "seen"])]
            if row[-1] == "seen":
                row[-1] = f"seen with {a.v4()}"
            elif not row[-1]:
                row[-1] = None  # no cell
            sheet.append(row)
            size += sum(len(str(v).encode()) + 1 for v in row if v is not None)
    book.save(path)
    shared_strings(path)
    return a.given, size


def shared_strings(path):
    """openpyxl writes each string in its cell; Excel writes them once, in the shared strings
    table, and cells name them by number: so does this, in place."""
    cell = re.compile(rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is>(<t[^>]*>.*?</t>)</is></c>')
    numbers, strings, cells = {}, [], 0

    def shared(m):
        number = numbers.setdefault(m.group(2), len(strings))
        if number == len(strings):
            strings.append(m.group(2))
        return b'<c r="%s" t="s"><v>%d</v></c>' % (m.group(1), number)

    with zipfile.ZipFile(path) as z:
        members = [(info.filename, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path + ".sst", "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            if name.startswith("xl/worksheets/"):
                data, n = cell.subn(shared, data)
                cells += n
            elif name == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" '
                                    b'Id="rIdStrings"/></Relationships>')
            z.writestr(name, data)
        z.writestr("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
                   % (cells, len(strings)) + b"".join(b"<si>%s</si>" % t for t in strings) + b"</sst>")
    os.replace(path + ".sst", path)


def log_text(seed, megabytes):
    rng, a = random.Random(seed), Addresses(seed + 1)
    lines, size = [], 0
    while size < megabytes * 1_000_000:
        line = log_line(rng, a) + "\n"
        lines.append(line)
        size += len(line)
    return "".join(lines).encode(), a.given


def make_zip(path, megabytes):
    """Eight log files, deflated."""
    given, size = set(), 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(8):
            data, ips = log_text(500 + 10 * i, megabytes / 8)
            z.writestr(f"logs/host-{i}.log", data)
            given |= ips
            size += len(data)
    return given, size


def make_gzip(path, megabytes):
    data, given = log_text(600, megabytes)
    with gzip.open(path, "wb", compresslevel=6) as f:
        f.write(data)
    return given, len(data)


def document(cache, name, make, amount):
    """The cached document and its facts ({"truth": [...], "text_bytes": n}), made if missing."""
    path = os.path.join(cache, name)
    facts_path = path + ".json"
    if os.path.exists(path) and os.path.exists(facts_path):
        with open(facts_path) as f:
            facts = json.load(f)
        if facts.get("version") == VERSIONS[make.__name__] and facts.get("amount") == amount:
            return path, facts
    say(f"making {name} ...")
    for derived in os.listdir(cache):  # what the peers made of the document before
        if derived.startswith(name + ".peer-"):
            os.remove(os.path.join(cache, derived))
    started = time.perf_counter()
    given, text_bytes = make(path + ".part", amount)
    os.replace(path + ".part", path)
    facts = {"version": VERSIONS[make.__name__], "amount": amount, "truth": sorted(given), "text_bytes": text_bytes}
    with open(facts_path, "w") as f:
        json.dump(facts, f)
    say(f"  {os.path.getsize(path) / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s")
    return path, facts


# Running ------------------------------------------------------------------------------------
class Runner:
    """Runs commands and pipelines under GNU time: wall time and the peak RSS of each process."""

    def __init__(self, cache):
        self.rss_file = os.path.join(cache, "rss.txt")
        self.devnull_in = os.open(os.devnull, os.O_RDONLY)
        self.devnull_out = os.open(os.devnull, os.O_WRONLY)

    def _spawn(self, argv, stdin, stdout, n):
        out = f"{self.rss_file}.{n}"
        actions = [(os.POSIX_SPAWN_DUP2, stdin, 0), (os.POSIX_SPAWN_DUP2, stdout, 1),
                   (os.POSIX_SPAWN_DUP2, self.devnull_out, 2)]
        return os.posix_spawn(TIME, [TIME, "-f", "%M %U %S", "-o", out] + argv, os.environ, file_actions=actions), out

    def run(self, stages):
        """stages: argv lists, piped one into the next (the first reads /dev/null, the last
        writes /dev/null). Returns (seconds, [peak RSS in KiB of each stage], CPU seconds of
        all stages)."""
        children = []
        stdin = self.devnull_in
        started = time.perf_counter()
        for i, argv in enumerate(stages):
            if i + 1 < len(stages):
                r, w = os.pipe()
                stdout = w
            else:
                r, stdout = None, self.devnull_out
            children.append(self._spawn(argv, stdin, stdout, i))
            if stdin != self.devnull_in:
                os.close(stdin)
            if r is not None:
                os.close(w)
            stdin = r
        failed = []
        for (pid, _), argv in zip(children, stages):
            _, status, _ = os.wait4(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                failed.append(argv)
        took = time.perf_counter() - started
        if failed:
            raise SystemExit(f"failed: {failed}")
        rss, cpu = [], 0.0
        for _, out in children:
            with open(out) as f:
                peak, user, system = f.read().split()[-3:]
            rss.append(int(peak))
            cpu += float(user) + float(system)
        return took, rss, cpu


def timed(runner, tools, runs):
    """tools: {name: stages}. Runs each `runs` times, the tools taking turns (a tool given as
    (stages, runs_of_its_own) gets fewer). Returns {name: (median s, peak RSS KiB, median CPU s)}."""
    took = {name: [] for name in tools}
    cpu = {name: [] for name in tools}
    rss = {name: 0 for name in tools}
    for turn in range(runs):
        for name, tool in tools.items():
            stages, own = tool if isinstance(tool, tuple) else (tool, runs)
            if turn < own:
                t, r, c = runner.run(stages)
                took[name].append(t)
                cpu[name].append(c)
                rss[name] = max(rss[name], max(r))
    return {name: (statistics.median(t), rss[name], statistics.median(cpu[name])) for name, t in took.items()}


def decompression_alone(path, runs):
    """What inflating every member of `path` (a ZIP or a gzip file) takes, with C zlib in this
    process (Python's `zipfile` and `gzip`): the bytes it gives and the median time of `runs`.
    A reader of the file does this much at least, and then reads what it inflated."""
    def inflate():
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                return sum(len(z.read(info)) for info in z.infolist())
        with gzip.open(path) as f:
            return sum(len(block) for block in iter(lambda: f.read(1 << 20), b""))
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        size = inflate()
        took.append(time.perf_counter() - start)
    return size, statistics.median(took)


def decoder_rss(binary, path):
    """The peak RSS (KiB) of the decoding child alone, run as `extract` runs it (GNU time)."""
    big = str(1 << 30)
    argv = [TIME, "-f", "%M", binary, "decode-document", "--name", os.path.basename(path), "--max-bytes", big,
            "--max-decoded-bytes", big, "--cpu-seconds", "60"]
    env = dict(os.environ, MIMALLOC_ARENA_RESERVE="64MiB")
    with open(path, "rb") as stdin:
        done = subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr.strip()}")
    return int(done.stderr.split()[-1])


def addresses(argv, stdin_path=None, before=None):
    """The addresses `extract` prints (one a line), and its stderr; `before`, a command whose
    output it reads."""
    if before:
        argv = ["sh", "-c", f"{shlex.join(before)} | {shlex.join(argv)}"]
    with open(stdin_path or os.devnull, "rb") as stdin:
        done = subprocess.run(argv, stdin=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr.strip()}")
    return set(done.stdout.split()), done.stderr.strip()


def canonical(ip):
    return str(ipaddress.ip_address(ip.strip("[]")))


PYPDF = ("import sys, pypdf\n"
         "out = sys.stdout\n"
         "for page in pypdf.PdfReader(sys.argv[1]).pages:\n"
         "    out.write(page.extract_text())\n"
         "    out.write('\\n')\n")
IOC = ("import json, sys\n"
       "from ioc_finder import find_iocs\n"
       "text = open(sys.argv[1], encoding='utf-8', errors='replace').read()\n"
       "found = find_iocs(text, included_ioc_types=['ipv4s', 'ipv6s'])\n"
       "json.dump(found['ipv4s'] + found['ipv6s'], sys.stdout)\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=os.path.join(ROOT, "target", "release", "maxmind-geolocate"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer-runs", type=int, default=3, help="runs of the Python peers (pypdf, ioc-finder)")
    parser.add_argument("--cache", default=os.path.join(ROOT, "target", "bench-documents"))
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"{binary} is missing: cargo build --release")
    if not os.access(TIME, os.X_OK):
        sys.exit(f"{TIME} is missing: apt-get install -y time")
    os.makedirs(args.cache, exist_ok=True)
    runner = Runner(args.cache)
    has = {tool: shutil.which(tool) is not None for tool in ("pdftotext", "unzip", "zcat")}
    has["pypdf"] = importlib.util.find_spec("pypdf") is not None
    has["ioc-finder"] = importlib.util.find_spec("ioc_finder") is not None
    for tool, there in has.items():
        if not there:
            how = "pip install" if tool in ("pypdf", "ioc-finder") else "apt-get install -y"
            package = {"pdftotext": "poppler-utils", "zcat": "gzip"}.get(tool, tool)
            say(f"{tool} is not installed ({how} {package}): its figures are left out")
    cpu = open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].splitlines()[0].strip()
    say(f"machine: {os.cpu_count()} cores; {cpu}; {time.strftime('%Y-%m-%d')}; {args.runs} runs, Python peers {args.peer_runs}; "
        f"load average {os.getloadavg()[0]:.1f}")
    ours = lambda path: [binary, "extract", path]
    scan = [binary, "extract", "-"]
    misses, goals, table = [], [], []

    def check_truth(name, found, truth):
        missing = sorted(set(truth) - found)
        if missing:
            misses.append(f"{name}: {len(missing)} of the {len(truth)} addresses put in not found, e.g. {missing[:5]}")
        return len(truth) - len(missing)

    def goal(what, figure, target, holds):
        goals.append((what, figure, target, "yes" if holds else "NO"))

    def show(document_name, results, found, text_mb=None):
        """Prints each tool's figures beside ours and adds them to the table."""
        base = results["ours: extract FILE"][0]
        for tool, (t, rss, cpu) in results.items():
            ratio = "1" if tool.startswith("ours") else f"{t / base:.2f}x"
            rate = f" ({text_mb / t:.0f} MB/s)" if text_mb else ""
            say(f"  {tool}: {t:.3f} s{rate}, CPU {cpu:.2f} s, peak RSS {rss / 1024:.1f} MB, "
                f"{found.get(tool, '-')} addresses; its time / ours = {ratio}")
            table.append((document_name, tool, f"{t:.3f} s{rate}", f"{cpu:.2f} s", f"{rss / 1024:.0f} MB",
                          str(found.get(tool, "-")), ratio))

    # 1. PDF ----------------------------------------------------------------------------------
    pdf, pdf_paths = {}, {}
    for name, make, pages in (("report", make_report_pdf, 100), ("log export", make_log_pdf, 2000)):
        path, facts = document(args.cache, f"{name.replace(' ', '-')}-{pages}.pdf", make, pages)
        mb = os.path.getsize(path) / 1e6
        found, warnings = addresses(ours(path))
        if warnings:
            say(f"  extract {os.path.basename(path)} said: {warnings[:500]}")
        put = check_truth(f"PDF {name}", found, facts["truth"])
        tools = {"ours: extract FILE": [ours(path)]}
        counts = {"ours: extract FILE": len(found)}
        text_path, text_mb = path + ".peer-pdftotext.txt", None
        if has["pdftotext"]:
            subprocess.run(["pdftotext", path, text_path], check=True)
            text_mb = os.path.getsize(text_path) / 1e6
            in_text, _ = addresses(scan, text_path)
            missing = sorted(in_text - found)
            if missing:
                misses.append(f"PDF {name}: {len(missing)} addresses in pdftotext's text missing from extract FILE: {missing[:20]}")
            tools["pdftotext FILE -"] = [["pdftotext", path, "-"]]
            tools["pdftotext | extract -"] = [["pdftotext", path, "-"], scan]
            counts["pdftotext | extract -"] = len(in_text)
        say(f"PDF {name} ({pages} pages, {mb:.1f} MB{f', {text_mb:.1f} MB of text by pdftotext' if text_mb else ''}): "
            f"{len(facts['truth'])} addresses put in, extract FILE finds {len(found)} ({put} of those put in)")
        if has["pypdf"]:
            tools["pypdf"] = ([[sys.executable, "-c", PYPDF, path]], args.peer_runs)
            pypdf_text = path + ".peer-pypdf.txt"
            if not os.path.exists(pypdf_text):  # pypdf takes minutes on the log export
                with open(pypdf_text + ".part", "w") as out:
                    subprocess.run([sys.executable, "-c", PYPDF, path], stdout=out, check=True)
                os.replace(pypdf_text + ".part", pypdf_text)
            by_pypdf, _ = addresses(scan, pypdf_text)
            counts["pypdf"] = f"{len(by_pypdf)} (our scan of its text)"
        if has["ioc-finder"] and has["pdftotext"]:
            tool = "ioc-finder on pdftotext's text"
            tools[tool] = ([[sys.executable, "-c", IOC, text_path]], args.peer_runs)
            ioc_out = path + ".peer-ioc-finder.json"
            if not os.path.exists(ioc_out):
                with open(ioc_out + ".part", "w") as out:
                    subprocess.run([sys.executable, "-c", IOC, text_path], stdout=out, check=True)
                os.replace(ioc_out + ".part", ioc_out)
            with open(ioc_out) as f:
                got = json.load(f)
            ioc = set()
            for ip in got:
                try:
                    ioc.add(canonical(ip))
                except ValueError:
                    pass
            counts[tool] = f"{len(ioc)} (misses {len(in_text - ioc)} of ours, {len(ioc - in_text)} extra)"
            if in_text - ioc:
                say(f"  ioc-finder misses e.g. {sorted(in_text - ioc)[:3]}")
        results = timed(runner, tools, args.runs)
        show(f"PDF {name}, {pages} pages, {mb:.1f} MB", results, counts)
        pdf[name], pdf_paths[name] = results, path
        if "pdftotext FILE -" in results:
            ratio = results["pdftotext FILE -"][0] / results["ours: extract FILE"][0]
            goal(f"PDF {name}: pdftotext's time / ours", f"{ratio:.2f}x", ">= 1", ratio >= 1)

    if len(pdf) == 2:
        # The decoding child alone (the document layer, without the addresses the action
        # holds), on log exports of 100 and 2,000 pages made alike: the median of 3 runs (the
        # file's pages it maps count too, and the kernel maps them in folios of varying size).
        short, _ = document(args.cache, "log-export-100.pdf", make_log_pdf, 100)
        small, large = (statistics.median(decoder_rss(binary, path) for _ in range(3))
                        for path in (short, pdf_paths["log export"]))
        say(f"PDF log export, peak RSS of the decoding child alone (`decode-document < FILE`): {small / 1024:.1f} MB on "
            f"100 pages, {large / 1024:.1f} MB on 2,000 ({large / small:.2f}x)")
        goal("PDF decoder's peak RSS, log export of 2,000 pages / 100", f"{large / 1024:.1f} / {small / 1024:.1f} MB "
             f"= {large / small:.2f}x", "not growing (<= 1.1x)", large <= 1.1 * small)
        small, large = pdf["report"]["ours: extract FILE"][1], pdf["log export"]["ours: extract FILE"][1]
        peer = ""
        if "pdftotext FILE -" in pdf["report"]:
            peer = (f"; pdftotext {pdf['report']['pdftotext FILE -'][1] / 1024:.1f} -> "
                    f"{pdf['log export']['pdftotext FILE -'][1] / 1024:.1f} MB; our scan of pdftotext's text (its addresses alone) "
                    f"{pdf['log export']['pdftotext | extract -'][1] / 1024:.1f} MB on 2,000 pages")
        say(f"PDF peak RSS, ours: {small / 1024:.1f} MB on 100 pages, {large / 1024:.1f} MB on 2,000 ({large / small:.2f}x){peer}")
        say("  (the whole `extract` holds the addresses it found: 2,120 in the report, 292,943 in the log export)")

    # 2. DOCX, XLSX, ZIP, gzip -----------------------------------------------------------------
    for name, make, file_name, amount, peer in (
            ("DOCX", make_docx, "paragraphs-30mb.docx", 30, None),
            ("XLSX", make_xlsx, "connections-30mb.xlsx", 30, None),
            ("ZIP", make_zip, "logs-40mb.zip", 40, ("unzip -p | extract -", ["unzip", "-p"])),
            ("gzip", make_gzip, "log-40mb.log.gz", 40, ("zcat | extract -", ["zcat"]))):
        path, facts = document(args.cache, file_name, make, amount)
        found, warnings = addresses(ours(path))
        if warnings:
            say(f"  extract {file_name} said: {warnings[:500]}")
        put = check_truth(name, found, facts["truth"])
        text_mb = facts["text_bytes"] / 1e6
        tools = {"ours: extract FILE": [ours(path)]}
        counts = {"ours: extract FILE": len(found)}
        if peer and has[peer[1][0]]:
            tools[peer[0]] = [peer[1] + [path], scan]
            by_peer, _ = addresses(scan, before=peer[1] + [path])
            counts[peer[0]] = len(by_peer)
            if by_peer != found:
                misses.append(f"{name}: extract FILE and {peer[0]} differ: {len(found - by_peer)} / {len(by_peer - found)} only in each")
        say(f"{name} ({os.path.getsize(path) / 1e6:.1f} MB file, {text_mb:.1f} MB of text): {len(facts['truth'])} addresses put in, "
            f"extract FILE finds {len(found)} ({put} of those put in)")
        results = timed(runner, tools, args.runs)
        show(f"{name}, {text_mb:.0f} MB of text", results, counts, text_mb)
        rate, per_cpu = text_mb / results["ours: extract FILE"][0], text_mb / results["ours: extract FILE"][2]
        goal(f"{name}: MB/s of decoded text", f"{rate:.0f} MB/s ({per_cpu:.0f} per CPU second)", ">= 100 MB/s", rate >= 100)
        inflated, took = decompression_alone(path, args.runs)
        say(f"  decompression alone (zlib in this process, one core): {inflated / 1e6:.0f} MB in {took:.3f} s: "
            f"no reader of this file exceeds {text_mb / took:.0f} MB/s of its text on one core")
        table.append((f"{name}, {text_mb:.0f} MB of text", "decompression alone (zlib, one core)",
                      f"{took:.3f} s ({text_mb / took:.0f} MB/s)", "-", "-", "-",
                      f"{took / results['ours: extract FILE'][0]:.2f}x"))

    # 3. Plain text ---------------------------------------------------------------------------
    corpus = CORPUS
    truth_path = os.path.join(os.path.dirname(corpus), "truth.txt")
    if not os.path.exists(corpus):
        corpus, truth_path = os.path.join(args.cache, "corpus.txt"), os.path.join(args.cache, "truth.txt")
        if not os.path.exists(corpus):
            subprocess.run([sys.executable, os.path.join(ROOT, "benches", "make_corpus.py"), corpus, truth_path, "50"], check=True)
    mb = os.path.getsize(corpus) / 1e6
    argv = [binary, "extract", "--max-mib", "1000", corpus]
    found, _ = addresses(argv)
    quality = ""
    if os.path.exists(truth_path):
        truth = set(open(truth_path).read().split())
        precision, recall = len(found & truth) / max(1, len(found)), len(found & truth) / max(1, len(truth))
        quality = f"precision {precision:.4f}, recall {recall:.4f}"
        goal("plain text: precision", f"{precision:.4f}", "1.0", precision == 1)
        if precision < 1:
            misses.append(f"plain text: precision {precision:.4f}, e.g. {sorted(found - truth)[:5]}")
    say(f"plain text ({corpus}, {mb:.1f} MB) {quality}")
    results = timed(runner, {"ours: extract FILE": [argv]}, args.runs)
    show(f"plain text, {mb:.0f} MB", results, {"ours: extract FILE": len(found)}, mb)
    rate, per_cpu = mb / results["ours: extract FILE"][0], mb / results["ours: extract FILE"][2]
    goal("plain text: MB/s", f"{rate:.0f} MB/s ({per_cpu:.0f} per CPU second)", ">= 200 MB/s", rate >= 200)

    # Summary ---------------------------------------------------------------------------------
    say()
    say("| document | tool | median wall | CPU | peak RSS | addresses | time / ours |")
    say("|---|---|---|---|---|---|---|")
    for row in table:
        say("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    say()
    say("| goal | figure | target | holds |")
    say("|---|---|---|---|")
    for row in goals:
        say("| " + " | ".join(row) + " |")
    say(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on the machine slows every tool)")
    for miss in misses:
        say(f"MISS: {miss}")
    if misses:
        sys.exit(1)


if __name__ == "__main__":
    main()
