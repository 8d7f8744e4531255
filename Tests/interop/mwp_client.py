#!/usr/bin/env python3
"""An MWP-1 peer written from docs/protocol/mwp-1.md alone, to show that the spec is language-neutral.

Python 3.11, the standard library and pyzmq only. Subcommands:

    mwp_client.py selftest SPEC_PATH
        decode every example block of the spec, encode it again and compare byte for byte; check the values
        the spec's prose gives for each example, and that non-canonical variants are refused.
    mwp_client.py status --connect tcp://127.0.0.1:PORT [--job ID] [--timeout-ms 3000]
        send STATUS, print the STATUS-REPLY as JSON.
    mwp_client.py worker --connect tcp://127.0.0.1:PORT --name py1 [--timeout-ms 10000] [--fail] [--hold-ms N]
        join, ASK for one lease, print it as JSON, hold it N ms (PROGRESS), give it back (DISCONNECT, after
        FAIL 503 with --fail).

Exit codes: 0 success, 1 selftest failure or bad use, 2 timeout (no reply, no lease, coordinator silent),
3 refused by the peer (ERROR, DISCONNECT) or an unreadable reply.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import struct
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

# ---------------------------------------------------------------------------------------------------------------
# Constants (spec: Framing, Limits, Error codes)

MAJOR = "01"
HEADER = b"MWP" + MAJOR.encode()
MINOR = 0
BODY_LIMIT = 1_048_576
BULK_LIMIT = 16_777_216
STRING_LIMIT = 4096
LIST_LIMIT = 65_536
MAP_LIMIT = 1024
CHUNK_LIMIT = 4_194_304

ERROR_NAMES = {
    0: "none", 400: "malformed", 401: "unsupported-version", 402: "unknown-command", 403: "unexpected-command",
    404: "unknown-job", 405: "not-joined", 409: "stale-attempt", 413: "too-large", 415: "unsupported-kind",
    422: "invalid-job", 424: "model-unavailable", 429: "busy", 499: "cancelled", 500: "internal",
    503: "shutting-down", 507: "output-failed",
}


class WireError(Exception):
    """A message that cannot be read; `code` is the spec's error code for it (400, 401, 402, 413)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code} {ERROR_NAMES.get(code, '?')}: {message}")
        self.code = code


def malformed(message: str) -> WireError:
    return WireError(400, message)


# ---------------------------------------------------------------------------------------------------------------
# Field types (spec: Field types). Each type reads from a Reader, writes to a bytearray, and knows the fewest
# bytes one value takes, so a list count can be checked against the bytes left before anything is allocated.


class Reader:
    """Reads fields from one frame; `finish` refuses bytes left over."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if count > len(self.data) - self.pos:
            raise malformed(f"needs {count} bytes at offset {self.pos}, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def left(self) -> int:
        return len(self.data) - self.pos

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise malformed(f"{len(self.data) - self.pos} bytes left over after the last field")


class FieldType:
    min_size = 0

    def read(self, r: Reader) -> Any:
        raise NotImplementedError

    def write(self, out: bytearray, value: Any) -> None:
        raise NotImplementedError


class UInt(FieldType):
    """u8/u16/u32/u64, big-endian, with an optional allowed range or set (values outside are malformed)."""

    FORMATS = {1: ">B", 2: ">H", 4: ">I", 8: ">Q"}

    def __init__(self, size: int, lo: int = 0, hi: int | None = None, allowed: set[int] | None = None):
        self.size = self.min_size = size
        self.fmt = self.FORMATS[size]
        self.lo = lo
        self.hi = (1 << (8 * size)) - 1 if hi is None else hi
        self.allowed = allowed

    def check(self, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise malformed(f"{value!r} is not an integer")
        if not self.lo <= value <= self.hi or (self.allowed is not None and value not in self.allowed):
            wanted = sorted(self.allowed) if self.allowed is not None else f"{self.lo}...{self.hi}"
            raise malformed(f"{value} is out of range (allowed: {wanted})")
        return value

    def read(self, r: Reader) -> int:
        return self.check(struct.unpack(self.fmt, r.take(self.size))[0])

    def write(self, out: bytearray, value: int) -> None:
        out += struct.pack(self.fmt, self.check(value))


U8, U16, U32, U64 = UInt(1), UInt(2), UInt(4), UInt(8)


class Share(FieldType):
    """A rebalance share: the bits of an IEEE-754 binary64, big-endian, in (0, 1]."""

    size = min_size = 8

    def check(self, value: Any) -> float:
        if not isinstance(value, float) or not math.isfinite(value) or not 0 < value <= 1:
            raise malformed(f"share {value!r} is not in (0, 1]")
        return value

    def read(self, r: Reader) -> float:
        return self.check(struct.unpack(">d", r.take(8))[0])

    def write(self, out: bytearray, value: float) -> None:
        out += struct.pack(">d", self.check(value))


class Temperature(FieldType):
    """A temperature: the bits of an IEEE-754 binary32, big-endian, finite and 0.05 to 20."""

    size = min_size = 4

    def check(self, value: Any) -> float:
        if not isinstance(value, float) or not math.isfinite(value) or not 0.05 <= value <= 20:
            raise malformed(f"temperature {value!r} is not finite and within 0.05 to 20")
        return value

    def read(self, r: Reader) -> float:
        return self.check(struct.unpack(">f", r.take(4))[0])

    def write(self, out: bytearray, value: float) -> None:
        out += struct.pack(">f", self.check(value))
JOB_ID = UInt(8, lo=1)  # "a job id of 0 is malformed everywhere except in STATUS"
AT_LEAST_1_U16, AT_LEAST_1_U32 = UInt(2, lo=1), UInt(4, lo=1)


class Bool(FieldType):
    min_size = 1

    def read(self, r: Reader) -> bool:
        flag = r.take(1)[0]
        if flag > 1:
            raise malformed(f"bool {flag} is neither 0 nor 1")
        return flag == 1

    def write(self, out: bytearray, value: bool) -> None:
        if not isinstance(value, bool):
            raise malformed(f"{value!r} is not a bool")
        out.append(1 if value else 0)


class String(FieldType):
    """u16 length, then that many bytes of valid UTF-8, at most 4,096."""

    min_size = 2

    def read(self, r: Reader) -> str:
        length = U16.read(r)
        if length > STRING_LIMIT:
            raise WireError(413, f"string of {length} bytes is over {STRING_LIMIT}")
        raw = r.take(length)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise malformed(f"string is not valid UTF-8: {error}") from None

    def write(self, out: bytearray, value: str) -> None:
        raw = value.encode("utf-8")
        if len(raw) > STRING_LIMIT:
            raise WireError(413, f"string of {len(raw)} bytes is over {STRING_LIMIT}")
        U16.write(out, len(raw))
        out += raw


class Bytes(FieldType):
    """u32 length, then that many bytes."""

    min_size = 4

    def read(self, r: Reader) -> bytes:
        return r.take(U32.read(r))

    def write(self, out: bytearray, value: bytes) -> None:
        U32.write(out, len(value))
        out += value


class Hash(FieldType):
    """32 bytes of SHA-256 digest."""

    min_size = 32

    def read(self, r: Reader) -> bytes:
        return r.take(32)

    def write(self, out: bytearray, value: bytes) -> None:
        if len(value) != 32:
            raise malformed(f"hash of {len(value)} bytes, not 32")
        out += value


class F64(FieldType):
    """IEEE-754 binary64, big-endian; NaN and infinities are malformed. `lo`/`hi` bound it, `lo_open`/`hi_open`
    exclude the bound; a lower bound of 0 (closed) also refuses -0.0, which would encode differently from 0."""

    min_size = 8

    def __init__(self, lo: float | None = None, hi: float | None = None, lo_open: bool = False, hi_open: bool = False):
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open

    def check(self, value: Any) -> float:
        if not isinstance(value, float) or not math.isfinite(value):
            raise malformed(f"{value!r} is not a finite float")
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)
                                    or (value == 0 and math.copysign(1.0, value) < 0)):
            raise malformed(f"{value} is below the allowed range")
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            raise malformed(f"{value} is above the allowed range")
        return value

    def read(self, r: Reader) -> float:
        return self.check(struct.unpack(">d", r.take(8))[0])

    def write(self, out: bytearray, value: float) -> None:
        out += struct.pack(">d", self.check(value))


class Fixed(FieldType):
    """Exactly `size` raw bytes (an X25519 public key: 32)."""

    def __init__(self, size: int):
        self.min_size = size

    def read(self, r: Reader) -> bytes:
        return r.take(self.min_size)

    def write(self, out: bytearray, value: bytes) -> None:
        if len(value) != self.min_size:
            raise malformed(f"{len(value)} bytes, not {self.min_size}")
        out += value


class OptionalOf(FieldType):
    """u8 presence flag (0 or 1), then the value when present; None stands for absent."""

    min_size = 1

    def __init__(self, inner: FieldType):
        self.inner = inner

    def read(self, r: Reader) -> Any:
        flag = r.take(1)[0]
        if flag > 1:
            raise malformed(f"presence flag {flag} is neither 0 nor 1")
        return self.inner.read(r) if flag else None

    def write(self, out: bytearray, value: Any) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.inner.write(out, value)


class List(FieldType):
    """u32 count, then that many values; at most 65,536, and no more than the bytes left can hold."""

    min_size = 4

    def __init__(self, inner: FieldType):
        self.inner = inner

    def read(self, r: Reader) -> list:
        count = U32.read(r)
        if count > LIST_LIMIT:
            raise WireError(413, f"list of {count} elements is over {LIST_LIMIT}")
        if count * self.inner.min_size > r.left():
            raise malformed(f"list of {count} elements cannot fit in the {r.left()} bytes left")
        return [self.inner.read(r) for _ in range(count)]

    def write(self, out: bytearray, value: list) -> None:
        if len(value) > LIST_LIMIT:
            raise WireError(413, f"list of {len(value)} elements is over {LIST_LIMIT}")
        U32.write(out, len(value))
        for element in value:
            self.inner.write(out, element)


class Map(FieldType):
    """u32 count, then string key/value pairs, keys unique and strictly increasing by their UTF-8 bytes."""

    min_size = 4

    def read(self, r: Reader) -> dict[str, str]:
        count = U32.read(r)
        if count > MAP_LIMIT:
            raise WireError(413, f"map of {count} entries is over {MAP_LIMIT}")
        if count * 4 > r.left():
            raise malformed(f"map of {count} entries cannot fit in the {r.left()} bytes left")
        result: dict[str, str] = {}
        previous: bytes | None = None
        for _ in range(count):
            key = String().read(r)
            raw = key.encode("utf-8")
            if previous is not None and raw <= previous:
                raise malformed(f"map key {key!r} is not after {previous.decode('utf-8')!r}")
            previous = raw
            result[key] = String().read(r)
        return result

    def write(self, out: bytearray, value: dict[str, str]) -> None:
        if len(value) > MAP_LIMIT:
            raise WireError(413, f"map of {len(value)} entries is over {MAP_LIMIT}")
        U32.write(out, len(value))
        for key in sorted(value, key=lambda k: k.encode("utf-8")):
            String().write(out, key)
            String().write(out, value[key])


class Struct(FieldType):
    """Fields one after another, as a dict; `check` sees the whole dict (rules that span fields)."""

    def __init__(self, fields: list[tuple[str, FieldType]], check: Callable[[dict], None] | None = None):
        self.fields = fields
        self.check = check
        self.min_size = sum(field.min_size for _, field in fields)

    def read(self, r: Reader) -> dict:
        value = {name: field.read(r) for name, field in self.fields}
        if self.check:
            self.check(value)
        return value

    def write(self, out: bytearray, value: dict) -> None:
        missing = [name for name, _ in self.fields if name not in value]
        if missing:
            raise malformed(f"missing fields {missing}")
        if self.check:
            self.check(value)
        for name, field in self.fields:
            field.write(out, value[name])


ATTEMPT = Struct([("job", JOB_ID), ("shard", U32), ("attempt", UInt(4, lo=1))])
STRING, BYTES, HASH, BOOL, MAP = String(), Bytes(), Hash(), Bool(), Map()


# ---------------------------------------------------------------------------------------------------------------
# Commands (spec: Commands). A message is a dict: "command" (its name), its body fields, and "bulk" (frame 4)
# for the commands that have one.


def check_progress(v: dict) -> None:
    if v["done"] > v["total"]:
        raise malformed(f"PROGRESS done {v['done']} is over total {v['total']}")


def check_chunk(v: dict) -> None:
    if v["offset"] + v["length"] > v["total"]:
        raise malformed(f"MODEL-CHUNK offset {v['offset']} + length {v['length']} is over total {v['total']}")


WORKER = Struct([
    ("worker_id", U64), ("name", STRING), ("address", STRING), ("state", UInt(1, allowed={1, 2, 3})),
    ("last_heard_ms", U32), ("threads", U16), ("slots", U16), ("attempts", List(ATTEMPT)),
    ("units_per_second", U64), ("shards_done", U64),
])
JOB = Struct([
    ("job_id", JOB_ID), ("kind", U16), ("state", UInt(1, allowed={1, 2, 3, 4, 5})), ("label", STRING),
    ("shards", U32), ("shards_done", U32), ("shards_leased", U32), ("units", U64), ("units_done", U64),
    ("units_per_second", U64), ("retries", U32), ("failed_attempts", U32), ("start_ms", U64), ("elapsed_ms", U64),
])
WORKER_STATES = {1: "idle", 2: "busy", 3: "unresponsive"}
JOB_STATES = {1: "queued", 2: "running", 3: "completed", 4: "failed", 5: "cancelled"}


@dataclass(frozen=True)
class Command:
    code: int
    name: str
    body: Struct | None  # None: no frame 3 (HEARTBEAT, DISCONNECT)
    bulk: bool  # frame 4 present

    @property
    def frame_count(self) -> int:
        return 2 + (self.body is not None) + self.bulk


COMMANDS = [
    Command(0x01, "READY", Struct([
        ("minor", U16), ("name", STRING), ("software", STRING), ("threads", U16), ("slots", AT_LEAST_1_U16),
        ("kinds", List(Struct([("kind", U16), ("version", U16)]))), ("labels", MAP),
    ]), False),
    Command(0x02, "WELCOME", Struct([
        ("minor", U16), ("worker_id", U64), ("heartbeat_ms", AT_LEAST_1_U32), ("liveness", AT_LEAST_1_U16),
        ("lease_timeout_ms", AT_LEAST_1_U32), ("chunk_size", UInt(4, lo=1, hi=CHUNK_LIMIT)),
    ]), False),
    Command(0x03, "HEARTBEAT", None, False),
    Command(0x04, "ASK", Struct([("free_slots", AT_LEAST_1_U16)]), False),
    Command(0x05, "LEASE", Struct([
        ("attempt", ATTEMPT), ("kind", U16), ("version", U16), ("lease_timeout_ms", AT_LEAST_1_U32),
    ]), True),
    Command(0x06, "PROGRESS", Struct([("attempt", ATTEMPT), ("done", U64), ("total", U64)], check_progress), False),
    Command(0x07, "RESULT", Struct([("attempt", ATTEMPT), ("kind", U16), ("version", U16)]), True),
    Command(0x08, "FAIL", Struct([("attempt", ATTEMPT), ("code", U16), ("retryable", BOOL), ("message", STRING)]),
            False),
    Command(0x09, "CANCEL", Struct([("job_id", JOB_ID)]), False),
    Command(0x0A, "MODEL-GET", Struct([("hash", HASH), ("offset", U64), ("length", UInt(4, lo=1, hi=CHUNK_LIMIT))]),
            False),
    Command(0x0B, "MODEL-CHUNK", Struct([("hash", HASH), ("offset", U64), ("length", U32), ("total", U64)],
                                        check_chunk), True),
    Command(0x0C, "SUBMIT", Struct([("request_id", U64), ("kind", U16), ("version", U16), ("label", STRING)]), True),
    Command(0x0D, "ACCEPTED", Struct([("request_id", U64), ("job_id", JOB_ID)]), False),
    Command(0x0E, "STATUS", Struct([("job_id", U64)]), False),
    Command(0x0F, "STATUS-REPLY", Struct([("time_ms", U64), ("workers", List(WORKER)), ("jobs", List(JOB))]), False),
    Command(0x10, "DONE", Struct([
        ("job_id", JOB_ID), ("state", UInt(1, allowed={3, 4, 5})), ("code", U16), ("message", STRING),
    ]), False),
    Command(0x11, "ERROR", Struct([("code", U16), ("refused_command", U8), ("message", STRING)]), False),
    Command(0x12, "DISCONNECT", None, False),
    # Minor version 1.
    Command(0x13, "JOB-DETAIL", Struct([("job_id", JOB_ID)]), False),
    Command(0x14, "JOB-DETAIL-REPLY", Struct([
        ("job_id", JOB_ID), ("kind", U16), ("version", AT_LEAST_1_U16), ("detail", BYTES),
    ]), False),
]
BY_CODE = {c.code: c for c in COMMANDS}
BY_NAME = {c.name: c for c in COMMANDS}
ERROR = BY_NAME["ERROR"]


def decode(frames: list[bytes]) -> dict:
    """Decodes one message (the frames after any routing identity). Raises WireError.

    An ERROR with another major version's header is still read (its layout is the same in every version) and
    comes back with "header" set to that header; any other message of another major version raises 401.
    """
    if not 2 <= len(frames) <= 4:
        raise malformed(f"{len(frames)} frames; a message has 2 to 4")
    header = bytes(frames[0])
    if len(header) != 5 or header[:3] != b"MWP" or not all(0x30 <= b <= 0x39 for b in header[3:]):
        raise malformed(f"frame 1 {header!r} is not 'MWP' and two digits")
    if len(frames[1]) != 1:
        raise malformed(f"frame 2 has {len(frames[1])} bytes; a command is one byte")
    code = frames[1][0]
    if header != HEADER:
        if code == ERROR.code and len(frames) == ERROR.frame_count:
            message = decode_fields(ERROR, frames)
            message["header"] = header.decode()
            return message
        raise WireError(401, f"{header.decode()} is another major version; this peer speaks {HEADER.decode()}")
    command = BY_CODE.get(code)
    if command is None:
        raise WireError(402, f"unknown command 0x{code:02x}")
    if len(frames) != command.frame_count:
        raise malformed(f"{command.name} has {command.frame_count} frames, got {len(frames)}")
    return decode_fields(command, frames)


def decode_fields(command: Command, frames: list[bytes]) -> dict:
    message: dict = {"command": command.name}
    if command.body is not None:
        body = bytes(frames[2])
        if len(body) > BODY_LIMIT:
            raise WireError(413, f"body of {len(body)} bytes is over {BODY_LIMIT}")
        reader = Reader(body)
        message.update(command.body.read(reader))
        reader.finish()
    if command.bulk:
        bulk = bytes(frames[3])
        if len(bulk) > BULK_LIMIT:
            raise WireError(413, f"bulk frame of {len(bulk)} bytes is over {BULK_LIMIT}")
        message["bulk"] = bulk
        if command.name == "MODEL-CHUNK" and message["length"] != len(bulk):
            raise malformed(f"MODEL-CHUNK length {message['length']} but frame 4 has {len(bulk)} bytes")
    return message


def encode(message: dict) -> list[bytes]:
    """Encodes a message dict (as `decode` returns it) to its frames; refuses what `decode` would refuse."""
    command = BY_NAME[message["command"]]
    header = message.get("header", HEADER.decode()).encode()
    frames = [header, bytes([command.code])]
    if command.body is not None:
        body = bytearray()
        command.body.write(body, message)
        if len(body) > BODY_LIMIT:
            raise WireError(413, f"body of {len(body)} bytes is over {BODY_LIMIT}")
        frames.append(bytes(body))
    if command.bulk:
        frames.append(bytes(message["bulk"]))
    decode(frames)  # one encoding per message: what is sent must read back
    return frames


# ---------------------------------------------------------------------------------------------------------------
# Job kind 1 payloads (spec: Job kinds). Each is a Struct with no bytes left over.

CONDITION = Struct([("column", STRING), ("value", OptionalOf(STRING))])


def check_shard(v: dict) -> None:
    """The row range MUST be the rows of the batch range, and the last batch has at least one row."""
    first_row = v["first_batch"] * v["batch_rows"]
    if v["first_row"] != first_row:
        raise malformed(f"first row {v['first_row']} is not first batch x batch rows = {first_row}")
    if (v["first_batch"] + v["batch_count"] - 1) * v["batch_rows"] >= v["job_rows"]:
        raise malformed("the last batch of the shard has no rows")
    row_count = min(v["batch_count"] * v["batch_rows"], v["job_rows"] - first_row)
    if v["row_count"] != row_count:
        raise malformed(f"row count {v['row_count']} is not the rows of the batch range ({row_count})")


GENERATE_JOB_FIELDS = [
    ("model", HASH), ("model_size", U64), ("rows", UInt(8, lo=1)), ("seed", U64), ("batches_per_shard", U32),
    ("conditions", List(CONDITION)), ("delimiter", U8), ("output", STRING), ("attempts", U16),
]
GENERATE_SHARD_FIELDS = [
    ("model", HASH), ("model_size", U64), ("seed", U64), ("job_rows", U64), ("batch_rows", AT_LEAST_1_U32),
    ("first_batch", U64), ("batch_count", AT_LEAST_1_U32), ("first_row", U64), ("row_count", U64),
    ("conditions", List(CONDITION)), ("delimiter", U8), ("part", STRING),
]
# Version 2 of GenerateJob and GenerateShard: version 1 followed by the job's real table (hash and size, at least 1).
REAL_TABLE_FIELDS = [("real_table", HASH), ("real_table_size", UInt(8, lo=1))]

# Version 3: version 1, the real table as an optional, then the sampling options (rare values 0-2, temperature).
SAMPLING_FIELDS = [
    ("real_table", OptionalOf(Struct([("hash", HASH), ("size", UInt(8, lo=1))]))),
    ("rare_values", UInt(1, hi=2)), ("temperature", Temperature()),
    ("rebalance", List(Struct([("column", STRING), ("value", OptionalOf(STRING)), ("share", Share())]))),
    ("edge_case_pool", UInt(2, lo=1, hi=1000)),
]

PAYLOADS = {
    "GenerateJob": Struct(GENERATE_JOB_FIELDS),
    "GenerateShard": Struct(GENERATE_SHARD_FIELDS, check_shard),
    "GenerateJobV2": Struct(GENERATE_JOB_FIELDS + REAL_TABLE_FIELDS),
    "GenerateShardV2": Struct(GENERATE_SHARD_FIELDS + REAL_TABLE_FIELDS, check_shard),
    "GenerateJobV3": Struct(GENERATE_JOB_FIELDS + SAMPLING_FIELDS),
    "GenerateShardV3": Struct(GENERATE_SHARD_FIELDS + SAMPLING_FIELDS, check_shard),
    "GenerateResult": Struct([
        ("rows", U64), ("file_bytes", U64), ("checksum", HASH), ("elapsed_ms", U64), ("summary_version", U16),
        ("summaries", BYTES),
    ]),
}
# Job kind 2 (train). Each LEASE and RESULT payload starts with its phase; there is one name per phase here.

def check_steps(v: dict) -> None:
    if (v["local_epochs"] == 0) == (v["local_steps"] == 0):
        raise malformed("exactly one of local epochs and local steps is nonzero")
    if (v["strategy"] == 2) != (v["mu"] > 0):
        raise malformed("mu is above 0 for FedProx and 0 for FedAvg")


def check_train_job(v: dict) -> None:
    check_steps(v)
    if v["secure_aggregation"] and v["min_sites"] < 2:
        raise malformed("secure aggregation needs at least 2 sites")
    try:
        v["settings"].decode("utf-8")
    except UnicodeDecodeError:
        raise malformed("settings are not UTF-8") from None
    if (v["mode"] == 2) != (v["table"] is not None):
        raise malformed("a table is present for data-parallel jobs only, and required there")


def check_load(v: dict) -> None:
    if v["length"] < 1 or v["offset"] + v["length"] > v["table_size"]:
        raise malformed("the load range must be 1 or more bytes inside the table")
    if not v["header"]:
        raise malformed("the header must not be empty")


def increasing(keys: list) -> bool:
    return all(a < b for a, b in zip(keys, keys[1:]))


def check_values(v: dict) -> None:
    if not increasing([(k["column"], k["hash"]) for k in v["requested"]]):
        raise malformed("requested values must be strictly increasing by column and hash")


def check_round(v: dict) -> None:
    check_steps(v)
    names = [p["site"].encode("utf-8") for p in v["participants"]]
    if not increasing(names) or v["site"].encode("utf-8") not in names:
        raise malformed("participants unique, increasing, and including the leased site")
    masked = v["masking"] is not None
    if any((p["key"] is not None) != masked for p in v["participants"]):
        raise malformed("every participant has a key exactly when masking")
    if masked and not 2 <= len(names) <= v["masking"]["maximum_sites"]:
        raise malformed("a masked round has at least 2 participants and at most the maximum")


def check_revealed(v: dict) -> None:
    if not increasing([(k["column"], k["hash"]) for k in v["values"]]):
        raise malformed("values must be strictly increasing by column and hash")


def check_round_result(v: dict) -> None:
    if (v["validation_examples"] > 0) != (v["validation_loss"] is not None):
        raise malformed("a validation loss is present exactly when there are validation examples")
    if v["transport"] == 0:
        data = v["update"]
        if len(data) < 4 or len(data) % 4:
            raise malformed("an inline update is a positive multiple of 4 bytes")
        if v["encoding"] == 1 and not all(math.isfinite(x) for x in struct.unpack(f">{len(data) // 4}f", data)):
            raise malformed("every binary32 value must be finite")


def check_detail(v: dict) -> None:
    if not increasing([site["name"].encode("utf-8") for site in v["sites"]]):
        raise malformed("site names unique and in increasing byte order")
    if not increasing([loss["round"] for loss in v["losses"]]):
        raise malformed("loss rounds strictly increasing")


class UpdateBody(FieldType):
    """u8 transport 0, then `bytes` (inline); or 1, then `hash` and `u64` size, a positive multiple of 4."""

    min_size = 5

    def read(self, r: Reader) -> dict:
        transport = U8.read(r)
        if transport == 0:
            return {"transport": 0, "update": BYTES.read(r)}
        if transport == 1:
            blob = {"transport": 1, "update_hash": HASH.read(r), "update_size": UInt(8, lo=4).read(r)}
            if blob["update_size"] % 4:
                raise malformed("an update's size is a multiple of 4")
            return blob
        raise malformed(f"update transport {transport} is neither 0 nor 1")

    def write(self, out: bytearray, value: dict) -> None:
        U8.write(out, value["transport"])
        if value["transport"] == 0:
            BYTES.write(out, value["update"])
        else:
            HASH.write(out, value["update_hash"])
            UInt(8, lo=4).write(out, value["update_size"])


def nonempty(*fields: str, then: Callable[[dict], None] | None = None) -> Callable[[dict], None]:
    """A Struct check: the named fields are not empty, then `then`."""
    def check(v: dict) -> None:
        for field in fields:
            if not v[field]:
                raise malformed(f"{field} must not be empty")
        if then:
            then(v)
    return check


def phase(n: int) -> UInt:
    return UInt(1, allowed={n})


POSITIVE_F64 = F64(lo=0.0, lo_open=True)
PROBABILITY = F64(lo=0.0, hi=1.0, lo_open=True, hi_open=True)
KEY = Fixed(32)
TABLE = Struct([("hash", HASH), ("size", UInt(8, lo=1))])
KEYED = Struct([("column", U32), ("hash", HASH)])


def task(n: int, fields: list, check: Callable[[dict], None] | None = None) -> Struct:
    """A TrainTask of phase n: round 0 before the training rounds, from 1 in them; a non-empty site."""
    round_type = UInt(4, lo=1) if n == 4 else UInt(4, hi=0)
    return Struct([("phase", phase(n)), ("round", round_type), ("site", STRING)] + fields, nonempty("site", then=check))


TRAIN_PAYLOADS = {
    "TrainJob": Struct([
        ("mode", UInt(1, allowed={1, 2})), ("rounds", UInt(4, lo=1, hi=100_000)), ("local_epochs", U32),
        ("local_steps", U32), ("min_sites", AT_LEAST_1_U16), ("strategy", UInt(1, allowed={1, 2})),
        ("mu", F64(lo=0.0)), ("round_timeout_ms", U32), ("round_attempts", U16), ("enrolment_timeout_ms", U32),
        ("seed", U64), ("rare_threshold", AT_LEAST_1_U32), ("key_id", STRING), ("secure_aggregation", BOOL),
        ("privacy", OptionalOf(Struct([("epsilon", POSITIVE_F64), ("delta", PROBABILITY), ("clip", POSITIVE_F64)]))),
        ("settings", Bytes()), ("table", OptionalOf(TABLE)),
    ], nonempty("key_id", then=check_train_job)),
    "TrainTaskLoad": task(1, [
        ("table", HASH), ("table_size", UInt(8, lo=1)), ("offset", U64), ("length", U64), ("range_hash", HASH),
        ("header", BYTES),
    ], check_load),
    "TrainTaskCounts": task(2, [("rare_threshold", AT_LEAST_1_U32), ("key_id", STRING), ("send_public_key", BOOL)],
                            nonempty("key_id")),
    "TrainTaskValues": task(3, [("requested", List(KEYED))], check_values),
    "TrainTaskRound": task(4, [
        ("model", HASH), ("model_size", UInt(8, lo=1)), ("local_epochs", U32), ("local_steps", U32),
        ("strategy", UInt(1, allowed={1, 2})), ("mu", F64(lo=0.0)), ("clip", OptionalOf(POSITIVE_F64)),
        ("masking", OptionalOf(Struct([("clip_bound", POSITIVE_F64), ("maximum_sites", U32),
                                        ("weight_cap", AT_LEAST_1_U32)]))),
        ("participants", List(Struct([("site", STRING), ("key", OptionalOf(KEY))],
                                     nonempty("site")))),
        ("seed", U64),
    ], check_round),
    "TrainResultLoad": Struct([("phase", phase(1)), ("rows", U64)]),
    "TrainResultCounts": Struct([
        ("phase", phase(2)), ("summary_version", U16), ("summary", BYTES), ("public_key", OptionalOf(KEY)),
    ], nonempty("summary")),
    "TrainResultValues": Struct([
        ("phase", phase(3)), ("values", List(Struct([("column", U32), ("hash", HASH), ("value", STRING)]))),
    ], check_revealed),
    "TrainResultRound": Struct([
        ("phase", phase(4)), ("round", UInt(4, lo=1)), ("examples", UInt(8, lo=1)), ("train_loss", F64()),
        ("validation_examples", U64), ("validation_loss", OptionalOf(F64())), ("elapsed_ms", U64),
        ("encoding", UInt(1, allowed={1, 2})), ("body", UpdateBody()),
    ], lambda v: check_round_result({**v, **v["body"]})),
    "TrainDetail": Struct([
        ("phase", UInt(1, hi=5)), ("round", U32), ("rounds_planned", AT_LEAST_1_U32),
        ("sites", List(Struct([
            ("name", STRING), ("examples", U64), ("train_loss", OptionalOf(F64())),
            ("validation_loss", OptionalOf(F64())), ("contribution", F64(lo=0.0, hi=1.0)),
            ("last_round", OptionalOf(UInt(4, lo=1))),
        ], nonempty("name")))),
        ("losses", List(Struct([("round", UInt(4, lo=1)), ("validation_loss", F64())]))),
        ("privacy", OptionalOf(Struct([("epsilon", F64(lo=0.0)), ("delta", PROBABILITY)]))),
        ("eta_ms", OptionalOf(U64)), ("final_model", OptionalOf(TABLE)),
    ], check_detail),
}
# The spec's second TrainJob example (data-parallel) and second TrainResultRound example (an update by hash) use the
# same layouts.
TRAIN_PAYLOADS["TrainJobDataParallel"] = TRAIN_PAYLOADS["TrainJob"]
TRAIN_PAYLOADS["TrainResultRoundByHash"] = TRAIN_PAYLOADS["TrainResultRound"]
PAYLOADS.update(TRAIN_PAYLOADS)

# Command -> payload name of kind 1, payload version 1, for the frame 4 of SUBMIT, LEASE and RESULT; version 2 of
# SUBMIT and LEASE is the name with "V2" (version 3: "V3"). This client, as a worker, lists version 1 only.
KIND1_PAYLOADS = {"SUBMIT": "GenerateJob", "LEASE": "GenerateShard", "RESULT": "GenerateResult"}


def decode_payload(name: str, data: bytes) -> dict:
    if len(data) > BULK_LIMIT:
        raise WireError(413, f"payload of {len(data)} bytes is over {BULK_LIMIT}")
    reader = Reader(data)
    value = PAYLOADS[name].read(reader)
    reader.finish()
    return value


def encode_payload(name: str, value: dict) -> bytes:
    out = bytearray()
    PAYLOADS[name].write(out, value)
    return bytes(out)


def payload_of(message: dict) -> tuple[str, dict] | None:
    """The decoded kind-1 payload of a SUBMIT, LEASE or RESULT of payload version 1 (or 2 or 3, for SUBMIT and LEASE), or
    None for other kinds and versions."""
    name = KIND1_PAYLOADS.get(message["command"])
    if name is None or message["kind"] != 1:
        return None
    if message["version"] in (2, 3) and name != "GenerateResult":
        name += f"V{message['version']}"
    elif message["version"] != 1:
        return None
    return name, decode_payload(name, message["bulk"])


# ---------------------------------------------------------------------------------------------------------------
# JSON view: bytes as lowercase hex, a name beside each numeric state.


def to_json(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value


def status_json(reply: dict) -> dict:
    view = to_json(reply)
    for worker in view["workers"]:
        worker["state_name"] = WORKER_STATES[worker["state"]]
    for job in view["jobs"]:
        job["state_name"] = JOB_STATES[job["state"]]
    return view


# ---------------------------------------------------------------------------------------------------------------
# selftest: the spec's example blocks.

BLOCK = re.compile(r"^```(mwp|mwp-payload) (\S+)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
HEX_LINE = re.compile(r"^(?:[0-9a-f]{2})(?: [0-9a-f]{2})*$")


def parse_blocks(text: str) -> list[tuple[str, str, list[bytes]]]:
    """The example blocks: (kind "mwp" or "mwp-payload", name, frames); a payload block is one frame."""
    blocks = []
    for match in BLOCK.finditer(text):
        kind, name, content = match.group(1), match.group(2), match.group(3)
        line_no = text.count("\n", 0, match.start()) + 2
        frames: list[bytearray] = []
        for offset, line in enumerate(content.splitlines()):
            where = f"block {kind} {name}, line {line_no + offset}"
            if not line.strip():
                continue
            label = re.match(r"^F(\d+):[ ]?(.*)$", line)
            if kind == "mwp" and label:
                if int(label.group(1)) != len(frames) + 1:
                    raise ValueError(f"{where}: frame F{label.group(1)} out of order")
                frames.append(bytearray())
                hex_text = label.group(2).strip()
            elif kind == "mwp" and line.startswith(" ") and frames:
                hex_text = line.strip()
            elif kind == "mwp-payload" and not line.startswith(" "):
                if not frames:
                    frames.append(bytearray())
                hex_text = line.strip()
            else:
                raise ValueError(f"{where}: cannot read {line!r}")
            if hex_text and not HEX_LINE.match(hex_text):
                raise ValueError(f"{where}: not hex bytes: {hex_text!r}")
            frames[-1] += bytes.fromhex(hex_text)
        blocks.append((kind, name, [bytes(frame) for frame in frames]))
    return blocks


ABC = hashlib.sha256(b"abc").digest()
X12 = hashlib.sha256(b"x\n1\n2\n").digest()  # the real table of the version 2 examples
SEX_FEMALE = [{"column": "sex", "value": "Female"}]
STATUS_TIME_MS = 1_796_097_600_000  # 2026-12-01 04:00:00 UTC, the STATUS-REPLY example


def expected_values(payload_bytes: dict[str, bytes]) -> dict[str, dict]:
    """What the spec's prose says each example holds (a subset of fields per block)."""
    a42_4_2 = {"job": 42, "shard": 4, "attempt": 2}
    return {
        "READY": {"minor": 1, "name": "w1", "software": "mimeo 0.7", "threads": 2, "slots": 1,
                  "kinds": [{"kind": 1, "version": 1}], "labels": {"site": "a"}},
        "WELCOME": {"minor": 1, "worker_id": 7, "heartbeat_ms": 1000, "liveness": 3, "lease_timeout_ms": 30000,
                    "chunk_size": 1_048_576},
        "HEARTBEAT": {},
        "ASK": {"free_slots": 1},
        "LEASE": {"attempt": a42_4_2, "kind": 1, "version": 1, "lease_timeout_ms": 30000,
                  "bulk": payload_bytes.get("GenerateShard")},
        "PROGRESS": {"attempt": a42_4_2, "done": 512, "total": 848},
        "RESULT": {"attempt": a42_4_2, "kind": 1, "version": 1, "bulk": payload_bytes.get("GenerateResult")},
        "FAIL": {"attempt": {"job": 42, "shard": 2, "attempt": 1}, "code": 507, "retryable": True,
                 "message": "No space left on device"},
        "CANCEL": {"job_id": 42},
        "MODEL-GET": {"hash": ABC, "offset": 0, "length": 1_048_576},
        "MODEL-CHUNK": {"hash": ABC, "offset": 0, "length": 3, "total": 3, "bulk": b"abc"},
        "SUBMIT": {"request_id": 1, "kind": 1, "version": 1, "label": "adult 50k",
                   "bulk": payload_bytes.get("GenerateJob")},
        "ACCEPTED": {"request_id": 1, "job_id": 42},
        "STATUS": {"job_id": 0},
        "STATUS-REPLY": {
            "time_ms": STATUS_TIME_MS,
            "workers": [{"worker_id": 7, "name": "w1", "address": "tcp://127.0.0.2:41234", "state": 2,
                         "attempts": [a42_4_2]}],
            "jobs": [{"job_id": 42, "state": 2, "label": "adult 50k", "shards": 5, "shards_done": 4}],
        },
        "DONE": {"job_id": 42, "state": 3, "code": 0, "message": ""},
        "ERROR": {"code": 401, "refused_command": 0x01,
                  "message": "MWP02 is not supported; this coordinator speaks MWP01"},
        "DISCONNECT": {},
        "JOB-DETAIL": {"job_id": 43},
        "JOB-DETAIL-REPLY": {"job_id": 43, "kind": 2, "version": 1, "detail": payload_bytes.get("TrainDetail")},
        "TrainJob": {"mode": 1, "rounds": 40, "local_epochs": 1, "local_steps": 0, "min_sites": 3, "strategy": 2,
                     "mu": 0.01, "round_timeout_ms": 120_000, "round_attempts": 3, "enrolment_timeout_ms": 600_000,
                     "seed": 7, "rare_threshold": 20, "key_id": "site-key-1", "secure_aggregation": True,
                     "privacy": {"epsilon": 4.0, "delta": 1e-6, "clip": 1.0}, "settings": b'{"width":2}',
                     "table": None},
        "TrainJobDataParallel": {"mode": 2, "rounds": 10, "local_epochs": 0, "local_steps": 200, "min_sites": 2,
                                 "strategy": 1, "mu": 0.0, "key_id": "dp", "secure_aggregation": False,
                                 "privacy": None, "settings": b"", "table": {"hash": X12, "size": 6}},
        "TrainTaskLoad": {"phase": 1, "round": 0, "site": "w1", "table": X12, "table_size": 6, "offset": 2,
                          "length": 4, "range_hash": hashlib.sha256(b"1\n2\n").digest(), "header": b"x"},
        "TrainTaskCounts": {"phase": 2, "round": 0, "site": "site-a", "rare_threshold": 20, "key_id": "site-key-1",
                            "send_public_key": True},
        "TrainTaskValues": {"phase": 3, "site": "site-a", "requested": [{"column": 3, "hash": ABC},
                                                                        {"column": 5, "hash": hashlib.sha256().digest()}]},
        "TrainTaskRound": {"phase": 4, "round": 12, "site": "site-a", "model": ABC, "model_size": 3,
                           "local_epochs": 1, "local_steps": 0, "strategy": 2, "mu": 0.01, "clip": 1.0,
                           "masking": {"clip_bound": 1.0, "maximum_sites": 3, "weight_cap": 10_000},
                           "participants": [{"site": "site-a", "key": b"\x01" * 32},
                                            {"site": "site-b", "key": b"\x02" * 32}], "seed": 19},
        "TrainResultLoad": {"phase": 1, "rows": 2},
        "TrainResultCounts": {"phase": 2, "summary_version": 1, "summary": bytes.fromhex("deadbeef"),
                              "public_key": b"\x01" * 32},
        "TrainResultValues": {"phase": 3, "values": [{"column": 3, "hash": ABC, "value": "Female"}]},
        "TrainResultRound": {"phase": 4, "round": 12, "examples": 10_000, "train_loss": 0.5,
                             "validation_examples": 2_500, "validation_loss": 0.625, "elapsed_ms": 1_500,
                             "encoding": 1, "body": {"transport": 0, "update": struct.pack(">3f", 0.5, -0.25, 1.0)}},
        "TrainResultRoundByHash": {"phase": 4, "round": 12, "validation_examples": 0, "validation_loss": None,
                                   "encoding": 2, "body": {"transport": 1,
                                                           "update_hash": hashlib.sha256(bytes(1024)).digest(),
                                                           "update_size": 1024}},
        "TrainDetail": {"phase": 4, "round": 12, "rounds_planned": 40,
                        "sites": [{"name": "site-a", "examples": 10_000, "train_loss": 0.5, "validation_loss": 0.625,
                                   "contribution": 0.5, "last_round": 12},
                                  {"name": "site-b", "train_loss": 0.75, "validation_loss": None, "last_round": 11}],
                        "losses": [{"round": 10, "validation_loss": 0.75}, {"round": 11, "validation_loss": 0.6875}],
                        "privacy": {"epsilon": 1.5, "delta": 1e-6}, "eta_ms": 84_000, "final_model": None},
        "GenerateJob": {"model": ABC, "model_size": 3, "rows": 50_000, "seed": 7, "batches_per_shard": 3,
                        "conditions": SEX_FEMALE, "delimiter": ord(","), "output": "out", "attempts": 5},
        "GenerateShard": {"model": ABC, "model_size": 3, "seed": 7, "job_rows": 50_000, "batch_rows": 4096,
                          "first_batch": 12, "batch_count": 1, "first_row": 49_152, "row_count": 848,
                          "conditions": SEX_FEMALE, "delimiter": ord(","), "part": "out/part-00004.csv"},
        "GenerateJobV2": {"model": ABC, "rows": 50_000, "output": "out", "attempts": 5, "real_table": X12,
                          "real_table_size": 6},
        "GenerateShardV2": {"model": ABC, "first_batch": 12, "row_count": 848, "part": "out/part-00004.csv",
                            "real_table": X12, "real_table_size": 6},
        "GenerateJobV3": {"model": ABC, "rows": 50_000, "output": "out", "real_table": None, "rare_values": 1,
                          "temperature": 1.5, "rebalance": [{"column": "income", "value": ">50K", "share": 0.5}],
                          "edge_case_pool": 1},
        "GenerateShardV3": {"model": ABC, "first_batch": 12, "part": "out/part-00004.csv", "real_table": None,
                            "rare_values": 1, "temperature": 1.5},
        "GenerateResult": {"rows": 848, "file_bytes": 97_011, "elapsed_ms": 95, "summary_version": 1,
                           "summaries": bytes.fromhex("deadbeef")},
    }


def contains(actual: Any, expected: Any) -> bool:
    """Whether `actual` has every field of `expected` (recursively for dicts, element-wise for equal-length lists)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and contains(actual[k], v) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            contains(a, e) for a, e in zip(actual, expected))
    return actual == expected


def refuses(frames: list[bytes]) -> bool:
    try:
        decode(frames)
    except WireError:
        return True
    return False


def selftest(spec_path: str) -> int:
    with open(spec_path, encoding="utf-8") as spec:
        blocks = parse_blocks(spec.read())
    failures: list[str] = []
    payload_bytes = {name: frames[0] for kind, name, frames in blocks if kind == "mwp-payload"}
    expected = expected_values(payload_bytes)
    seen: set[str] = set()
    for kind, name, frames in blocks:
        seen.add(name)
        try:
            failures += check_block(kind, name, frames, expected.get(name))
        except (WireError, ValueError, KeyError) as error:
            failures.append(f"{kind} {name}: {error}")
    for name in [c.name for c in COMMANDS] + list(PAYLOADS):
        if name not in seen:
            failures.append(f"the spec has no example block for {name}")
    failures += check_shard_formula(payload_bytes)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if not blocks:
        print(f"FAIL no ```mwp blocks in {spec_path}", file=sys.stderr)
        return 1
    if failures:
        print(f"selftest: {len(failures)} failures over {len(blocks)} example blocks of {spec_path}", file=sys.stderr)
        return 1
    print(f"selftest: all {len(blocks)} example blocks of {spec_path} decode, check and encode back byte for byte")
    return 0


def check_shard_formula(payload_bytes: dict[str, bytes]) -> list[str]:
    """The GenerateShard example is shard 4 of the GenerateJob example: batches i*p ..< min((i+1)*p, ceil(n/4096))."""
    try:
        job = decode_payload("GenerateJob", payload_bytes["GenerateJob"])
        shard = decode_payload("GenerateShard", payload_bytes["GenerateShard"])
    except (KeyError, WireError):
        return []  # reported with the blocks themselves
    p, n, i = job["batches_per_shard"], job["rows"], 4
    first, end = i * p, min((i + 1) * p, math.ceil(n / 4096))
    if (shard["first_batch"], shard["batch_count"]) != (first, end - first):
        return [f"GenerateShard example covers batches {shard['first_batch']} + {shard['batch_count']}, but shard "
                f"{i} of the GenerateJob example covers {first} ..< {end} (Job kind 1)"]
    return []


def check_block(kind: str, name: str, frames: list[bytes], expected: dict | None) -> list[str]:
    failures = []
    where = f"{kind} {name}"
    if kind == "mwp-payload":
        if name not in PAYLOADS:
            return [f"{where}: no payload of that name in this client"]
        value = decode_payload(name, frames[0])
        if encode_payload(name, value) != frames[0]:
            failures.append(f"{where}: encoding the decoded payload gives other bytes")
        if expected is not None and not contains(value, expected):
            failures.append(f"{where}: decoded {to_json(value)}, the prose says {to_json(expected)}")
        if not refuses_payload(name, frames[0] + b"\x00"):
            failures.append(f"{where}: a byte left over after the last field was not refused")
        return failures
    message = decode(frames)
    if message["command"] != name:
        failures.append(f"{where}: decoded as {message['command']}")
    again = encode(message)
    if again != frames:
        failures.append(f"{where}: encoding the decoded message gives {[f.hex() for f in again]}, "
                        f"the spec has {[f.hex() for f in frames]}")
    if expected is not None:
        if not contains(message, expected):
            failures.append(f"{where}: decoded {to_json(message)}, the prose says {to_json(expected)}")
    payload = payload_of(message) if name in KIND1_PAYLOADS else None
    if name in KIND1_PAYLOADS and payload is None:
        failures.append(f"{where}: frame 4 is not a kind 1, version 1 payload")
    # Non-canonical or damaged variants of the example must be refused.
    variants = {"one frame more": frames + [b""], "one frame fewer": frames[:-1]}
    if len(frames) >= 3:
        variants["a byte left over in frame 3"] = frames[:2] + [frames[2] + b"\x00"] + frames[3:]
        variants["frame 3 cut short"] = frames[:2] + [frames[2][:-1]] + frames[3:]
    if name != "ERROR":
        variants["header MWP02"] = [b"MWP02"] + frames[1:]
    variants["header MWPx1"] = [b"MWPx1"] + frames[1:]
    for label, variant in variants.items():
        if not refuses(variant):
            failures.append(f"{where}: {label} was not refused")
    if name == "ERROR":
        other = decode([b"MWP02"] + frames[1:])
        if (other.get("header"), other["code"]) != ("MWP02", message["code"]):
            failures.append(f"{where}: an ERROR with header MWP02 does not read as the same ERROR")
    return failures


def refuses_payload(name: str, data: bytes) -> bool:
    try:
        decode_payload(name, data)
    except WireError:
        return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# Live peers: a status client and a worker that takes one lease and gives it back.


def open_socket(endpoint: str):
    import zmq  # pyzmq: only the live subcommands need it, so selftest runs on any Python 3.11

    context = zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.MAXMSGSIZE, BULK_LIMIT)
    socket.connect(endpoint)
    return zmq, socket


def send(socket, message: dict) -> None:
    socket.send_multipart(encode(message))


def receive(zmq, socket, timeout_ms: int) -> dict | None:
    """The next message that decodes, or None when nothing readable came within `timeout_ms`.

    Messages that cannot be decoded are dropped with a note on stderr (spec: Leases and reliability), except
    another major version, which ends the conversation (spec: Versioning).
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not socket.poll(max(1, int(left * 1000)), zmq.POLLIN):
            return None
        frames = socket.recv_multipart()
        try:
            message = decode(frames)
        except WireError as error:
            if error.code == 401:
                raise
            print(f"dropped an unreadable message: {error}", file=sys.stderr)
            continue
        if message["command"] == "ERROR":
            refused = BY_CODE.get(message["refused_command"])
            message["refused"] = refused.name if refused else f"command 0x{message['refused_command']:02x}"
        return message


def run_status(args: argparse.Namespace) -> int:
    zmq, socket = open_socket(args.connect)
    try:
        send(socket, {"command": "STATUS", "job_id": args.job})
        deadline = time.monotonic() + args.timeout_ms / 1000
        while (left_ms := int((deadline - time.monotonic()) * 1000)) > 0:
            message = receive(zmq, socket, left_ms)
            if message is None:
                break
            if message["command"] == "STATUS-REPLY":
                print(json.dumps(status_json(message), indent=2))
                return 0
            if message["command"] in ("ERROR", "DISCONNECT"):
                print(refusal_text(message), file=sys.stderr)
                return 3
            print(f"ignored {message['command']} while waiting for STATUS-REPLY", file=sys.stderr)
        print(f"no STATUS-REPLY from {args.connect} within {args.timeout_ms} ms", file=sys.stderr)
        return 2
    except WireError as error:
        print(f"cannot talk to {args.connect}: {error}", file=sys.stderr)
        return 3
    finally:
        socket.close()


def refusal_text(message: dict) -> str:
    if message["command"] == "DISCONNECT":
        return "coordinator sent DISCONNECT: it does not know this peer, or is shutting down"
    code = message["code"]
    header = f", sent with header {message['header']}" if "header" in message else ""
    return (f"coordinator refused {message.get('refused', '?')} with ERROR {code} "
            f"{ERROR_NAMES.get(code, 'unknown code')}: {message['message']}{header}")


class Worker:
    """A joined worker's side of the Heartbeating rules: it sends HEARTBEAT after one interval of sending
    nothing else, and takes the coordinator for dead after liveness x interval of hearing nothing."""

    def __init__(self, zmq, socket, heartbeat_ms: int = 1000, liveness: int = 3):
        self.zmq, self.socket = zmq, socket
        self.heartbeat_ms, self.liveness = heartbeat_ms, liveness
        self.last_sent = self.last_heard = time.monotonic()

    def send(self, message: dict) -> None:
        send(self.socket, message)
        self.last_sent = time.monotonic()

    def next_message(self, deadline: float) -> dict | None:
        """The next message before `deadline`, heartbeating meanwhile; None at the deadline.

        Raises TimeoutError when the coordinator has been silent for liveness x interval.
        """
        while True:
            now = time.monotonic()
            if now >= deadline:
                return None
            silent_ms = (now - self.last_heard) * 1000
            if silent_ms >= self.liveness * self.heartbeat_ms:
                raise TimeoutError(f"coordinator silent for {int(silent_ms)} ms "
                                   f"(liveness {self.liveness} x {self.heartbeat_ms} ms)")
            if (now - self.last_sent) * 1000 >= self.heartbeat_ms:
                self.send({"command": "HEARTBEAT"})
            wake = min(deadline, self.last_sent + self.heartbeat_ms / 1000,
                       self.last_heard + self.liveness * self.heartbeat_ms / 1000)
            message = receive(self.zmq, self.socket, max(1, int((wake - time.monotonic()) * 1000)))
            if message is not None:
                self.last_heard = time.monotonic()
                return message


def run_worker(args: argparse.Namespace) -> int:
    zmq, socket = open_socket(args.connect)
    deadline = time.monotonic() + args.timeout_ms / 1000
    peer = Worker(zmq, socket)
    try:
        peer.send({
            "command": "READY", "minor": MINOR, "name": args.name, "software": "mwp_client.py (pyzmq)",
            "threads": 1, "slots": 1, "kinds": [{"kind": 1, "version": 1}], "labels": {"client": "python"},
        })
        welcome = None
        while welcome is None:
            # Not joined yet: wait for WELCOME without heartbeating (only a joined worker heartbeats).
            message = receive(zmq, socket, max(1, int((deadline - time.monotonic()) * 1000)))
            if message is None:
                print(f"no WELCOME from {args.connect} within {args.timeout_ms} ms", file=sys.stderr)
                return 2
            if message["command"] in ("ERROR", "DISCONNECT"):
                print(refusal_text(message), file=sys.stderr)
                return 3
            if message["command"] == "WELCOME":
                welcome = message
            else:
                print(f"ignored {message['command']} before WELCOME", file=sys.stderr)
        peer.heartbeat_ms, peer.liveness = welcome["heartbeat_ms"], welcome["liveness"]
        peer.last_heard = time.monotonic()
        print(f"joined as worker {welcome['worker_id']} (heartbeat {welcome['heartbeat_ms']} ms, "
              f"liveness {welcome['liveness']})", file=sys.stderr)
        peer.send({"command": "ASK", "free_slots": 1})
        while True:
            message = peer.next_message(deadline)
            if message is None:
                print(f"no LEASE within {args.timeout_ms} ms", file=sys.stderr)
                peer.send({"command": "DISCONNECT"})
                return 2
            command = message["command"]
            if command in ("HEARTBEAT", "CANCEL"):
                continue  # CANCEL: this worker holds no lease yet
            if command in ("ERROR", "DISCONNECT"):
                print(refusal_text(message), file=sys.stderr)
                return 3
            if command != "LEASE":
                print(f"ignored {command} while waiting for a LEASE", file=sys.stderr)
                continue
            return take_lease(peer, message, welcome["worker_id"], args)
    except TimeoutError as error:
        print(str(error), file=sys.stderr)
        return 2
    except WireError as error:
        print(f"cannot talk to {args.connect}: {error}", file=sys.stderr)
        return 3
    finally:
        socket.close()


def take_lease(peer: Worker, lease: dict, worker_id: int, args: argparse.Namespace) -> int:
    """Prints the lease, holds it for --hold-ms (renewing it with PROGRESS), and gives it back: FAIL 503 with
    --fail, then DISCONNECT, which releases whatever the worker still holds."""
    attempt = lease["attempt"]
    try:
        # This worker lists kind 1 version 1 in READY: a lease of version 2 is one it did not list.
        payload = payload_of(lease) if lease["version"] == 1 else None
    except WireError as error:
        peer.send({"command": "FAIL", "attempt": attempt, "code": 422, "retryable": False,
                   "message": f"unreadable GenerateShard: {error}"})
        peer.send({"command": "DISCONNECT"})
        print(f"LEASE payload is unreadable: {error}", file=sys.stderr)
        return 3
    if payload is None:
        # A kind or version this worker did not list: 415, retryable, since another worker may run it.
        peer.send({"command": "FAIL", "attempt": attempt, "code": 415, "retryable": True,
                   "message": f"kind {lease['kind']} version {lease['version']} is not run here"})
        peer.send({"command": "DISCONNECT"})
        print(f"LEASE of kind {lease['kind']} version {lease['version']}, which this worker did not list",
              file=sys.stderr)
        return 3
    view = {"worker_id": worker_id, **{key: value for key, value in lease.items() if key != "bulk"}}
    view["payload"] = payload[1]
    print(json.dumps(to_json(view), indent=2), flush=True)
    if args.hold_ms > 0:
        ended = hold(peer, lease, payload[1]["row_count"], args.hold_ms)
        if ended is not None:
            return ended
    if args.fail:
        peer.send({"command": "FAIL", "attempt": attempt, "code": 503, "retryable": True,
                   "message": "python interop client"})
    peer.send({"command": "DISCONNECT"})
    return 0


def hold(peer: Worker, lease: dict, rows: int, hold_ms: int) -> int | None:
    """Keeps the lease for `hold_ms`, sending PROGRESS (0 rows done) every lease timeout / 3 but not more often
    than once per heartbeat interval (spec: Leases and reliability). None when held to the end; otherwise the
    lease is gone and this is the exit status: 0 when the coordinator cancelled the job (the worker then sends
    nothing for the attempt, spec: Cancelling, only DISCONNECT), 3 when it was refused."""
    attempt = lease["attempt"]
    every = max(peer.heartbeat_ms, lease["lease_timeout_ms"] // 3) / 1000
    end = time.monotonic() + hold_ms / 1000
    next_progress = time.monotonic()
    while time.monotonic() < end:
        if time.monotonic() >= next_progress:
            peer.send({"command": "PROGRESS", "attempt": attempt, "done": 0, "total": rows})
            next_progress = time.monotonic() + every
        message = peer.next_message(min(end, next_progress))
        if message is None or message["command"] == "HEARTBEAT":
            continue
        if message["command"] == "CANCEL" and message["job_id"] == attempt["job"]:
            print(f"job {attempt['job']} was cancelled while the lease was held", file=sys.stderr)
            peer.send({"command": "DISCONNECT"})
            return 0
        if message["command"] in ("ERROR", "DISCONNECT"):
            print(refusal_text(message), file=sys.stderr)
            return 3
        print(f"ignored {message['command']} while holding the lease", file=sys.stderr)
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    check = sub.add_parser("selftest", help="check this codec against the spec's example blocks")
    check.add_argument("spec", help="path of docs/protocol/mwp-1.md")
    status = sub.add_parser("status", help="send STATUS, print STATUS-REPLY as JSON")
    status.add_argument("--connect", required=True)
    status.add_argument("--job", type=int, default=0, help="job id, 0 for every job")
    status.add_argument("--timeout-ms", type=int, default=3000)
    worker = sub.add_parser("worker", help="join, take one lease, print it, give it back")
    worker.add_argument("--connect", required=True)
    worker.add_argument("--name", required=True)
    worker.add_argument("--timeout-ms", type=int, default=10000)
    worker.add_argument("--fail", action="store_true",
                        help="send FAIL 503 (retryable) for the lease before DISCONNECT")
    worker.add_argument("--hold-ms", type=int, default=0,
                        help="hold the lease this long (renewing it with PROGRESS) before giving it back")
    args = parser.parse_args(argv)
    if args.mode == "selftest":
        return selftest(args.spec)
    if args.mode == "status":
        return run_status(args)
    return run_worker(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
