#!/usr/bin/env python3
"""The floor under one client's durable small PUTs on this machine's disk, without ObjStore.

Per PUT it does only what the durability model requires, one step after the other, of any design that keeps a small
object as COPIES whole files on one filesystem (dev mode: m+1 = 3 at 4+2) and its row in SQLite: COPIES files
created in tmp/, written (SIZE bytes and a 512-byte footer) and renamed into place; one syncfs(2); one SQLite
transaction (WAL, synchronous=FULL) inserting the row. No HTTP, no client, no hashing: what is left of the time is
the filesystem's journal and the disk. Run it between runs of the store (the disk's speed drifts by minutes here).

  tests/perf/put-floor.py                      4 KiB, 3 copies, 4 s, in a temp folder on /tmp
  tests/perf/put-floor.py --dir /data --copies 1 --seconds 10
"""
import argparse
import ctypes
import os
import sqlite3
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--dir", default=tempfile.gettempdir(), help="a folder on the filesystem to measure")
parser.add_argument("--copies", type=int, default=3)
parser.add_argument("--size", type=int, default=4096)
parser.add_argument("--seconds", type=float, default=4.0)
args = parser.parse_args()

libc = ctypes.CDLL("libc.so.6", use_errno=True)
payload = os.urandom(args.size + 512)

with tempfile.TemporaryDirectory(dir=args.dir) as work:
    tmp = os.path.join(work, "tmp")
    os.mkdir(tmp)
    folders = [os.path.join(work, f"store-{i}") for i in range(args.copies)]
    for folder in folders:
        os.mkdir(folder)
    folder_fd = os.open(work, os.O_RDONLY)
    db = sqlite3.connect(os.path.join(work, "catalogue.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE objects (key TEXT PRIMARY KEY, size INTEGER, etag TEXT)")
    ops = 0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        key = f"{ops:012d}"
        for folder in folders:
            temp = os.path.join(tmp, f"{key}-{os.path.basename(folder)}")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, payload)
            os.close(fd)
            os.rename(temp, os.path.join(folder, key))
        if libc.syncfs(folder_fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs")
        db.execute("INSERT INTO objects VALUES (?, ?, ?)", (key, args.size, "etag"))  # autocommit: one transaction
        ops += 1
    elapsed = time.perf_counter() - start
    db.close()
    os.close(folder_fd)
    print(f"floor: {ops / elapsed:.1f} PUTs/s, {elapsed / ops * 1000:.2f} ms each"
          f" ({args.copies} copies of {args.size} bytes, syncfs, one SQLite commit)")
