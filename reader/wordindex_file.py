"""The word indexes saved beside the store, so a launch reads them instead of rebuilding.

Building the title, author and abstract indexes of 100k papers takes tens of seconds on a
small machine; reading them back is one file read.  The file (``<store>.words``) is a
cache: it names the exact store file it was made from (device, inode, size, mtime), is
written atomically, and anything wrong with it (another store, a torn or flipped byte,
another byte order) makes `load_word_indexes` return None, so the caller rebuilds it.

Layout: a magic line, an 8-byte header length, a JSON header (stamp, paper count, byte
order, CRC-32 of the payload, where each region lies), then the regions, 8-byte aligned.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Mapping
from pathlib import Path

import orjson

from reader.atomicfile import atomic_write_chunks
from reader.store import file_stamp
from reader.wordindex import TokenIndex

__all__ = ["file_stamp", "load_word_indexes", "save_word_indexes", "word_index_path"]

_MAGIC = b"reader word indexes 1\n"
_FIELDS = ("ti", "au", "ab")


def word_index_path(db_path: Path) -> Path:
    """Where the word indexes of the store at DB_PATH are kept."""
    return db_path.with_name(db_path.name + ".words")


def save_word_indexes(path: Path, stamp: str, n: int, indexes: Mapping[str, TokenIndex]) -> None:
    """Write INDEXES (``ti``, ``au``, ``ab``) of N papers for the store version STAMP."""
    regions: list[tuple[str, memoryview]] = [
        (f"{field}.{name}", memoryview(buffer).cast("B"))
        for field in _FIELDS
        for name, buffer in indexes[field].regions().items()
    ]
    places, offset, crc = [], 0, 0
    for name, buffer in regions:
        places.append([name, offset, buffer.nbytes])
        offset += _padded(buffer.nbytes)
        crc = zlib.crc32(buffer, crc)
    header = orjson.dumps(
        {"stamp": stamp, "papers": n, "byteorder": sys.byteorder, "crc": crc, "regions": places}
    )
    header += b" " * (-(len(_MAGIC) + 8 + len(header)) % 8)  # regions start 8-byte aligned

    def chunks():
        yield _MAGIC + len(header).to_bytes(8, "little") + header
        for _name, buffer in regions:
            yield buffer
            yield bytes(_padded(buffer.nbytes) - buffer.nbytes)

    atomic_write_chunks(path, chunks())


def load_word_indexes(path: Path, stamp: str, n: int) -> dict[str, TokenIndex] | None:
    """The indexes saved for store version STAMP with N papers, or None (rebuild them)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return _decode(memoryview(data), stamp, n)
    except (ValueError, KeyError, TypeError, IndexError, orjson.JSONDecodeError):
        return None


def _decode(data: memoryview, stamp: str, n: int) -> dict[str, TokenIndex] | None:
    if bytes(data[: len(_MAGIC)]) != _MAGIC:
        return None
    start = len(_MAGIC) + 8
    size = int.from_bytes(data[len(_MAGIC) : start], "little")
    header = orjson.loads(data[start : start + size])
    if (header["stamp"], header["papers"], header["byteorder"]) != (stamp, n, sys.byteorder):
        return None
    payload = data[start + size :]
    regions: dict[str, memoryview] = {}
    crc = 0
    for name, offset, length in header["regions"]:
        if offset < 0 or length < 0 or offset + length > payload.nbytes:
            return None
        regions[name] = payload[offset : offset + length]
        crc = zlib.crc32(regions[name], crc)
    end = max((offset + _padded(length) for _name, offset, length in header["regions"]), default=0)
    if crc != header["crc"] or end != payload.nbytes:  # torn, flipped, or grown
        return None
    return {
        field: TokenIndex.from_regions(
            n,
            {
                name.split(".", 1)[1]: buf
                for name, buf in regions.items()
                if name.startswith(field + ".")
            },
        )
        for field in _FIELDS
    }


def _padded(size: int) -> int:
    return (size + 7) & ~7
