#!/usr/bin/env python3
"""Independent Pithos hashmap vectors for tests/check_synnefo.c.

Computed with Python's hashlib only (no project code): for each test file
(generated exactly as the C test generates it, block size 4096) print its
size, block count, Merkle top hash (X-Object-Hash) and first block hash.
Rules (shared/specs/synnefo.md 2.2): every block has its trailing NULs
stripped before SHA-256; the Merkle tree pads the raw digests with
all-zero digests up to a power of two; 0 blocks -> sha256(""), 1 -> it.
Run: python3 tests/data/synnefo/vectors.py  (output: vectors.txt)
"""
import hashlib

BS = 4096


def block_hash(b):
    return hashlib.sha256(b.rstrip(b"\0")).hexdigest()


def merkle(hs):
    if not hs:
        return hashlib.sha256(b"").hexdigest()
    if len(hs) == 1:
        return hs[0]
    d = [bytes.fromhex(h) for h in hs]
    n = 1
    while n < len(d):
        n *= 2
    d += [b"\0" * 32] * (n - len(d))
    while len(d) > 1:
        d = [hashlib.sha256(d[i] + d[i + 1]).digest() for i in range(0, len(d), 2)]
    return d[0].hex()


def hashes(data, bs=BS):
    return [block_hash(data[i:i + bs]) for i in range(0, len(data), bs)]


def trailing():  # an all-zero last block, trailing zeros inside a block
    return (bytes((i * 7 + 3) % 251 for i in range(2 * BS)) + b"tail" +
            b"\0" * (BS - 4) + b"\0" * 100)


def short():  # a short last block
    return bytes((i * 13 + 1) % 256 for i in range(BS * 2 + 1234))


def repeat():  # blocks a, b, a, a, b[:999]
    a = bytes((i * 5 + 2) % 256 for i in range(BS))
    b = bytes((i * 11 + 9) % 256 for i in range(BS))
    return a + b + a + a + b[:999]


for name, gen in (("trailing", trailing), ("short", short),
                  ("repeat", repeat), ("empty", lambda: b"")):
    d = gen()
    h = hashes(d)
    print(name, len(d), len(h), merkle(h), h[0] if h else "-")
h = hashes(b"abcdefgh\0\0", 4)
print("spec-abcdefgh", 10, len(h), merkle(h), h[0])
