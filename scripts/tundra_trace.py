"""tundra_trace: reads the TCP event trace that tundra programs write with --tcp-trace FILE.

The format is defined in stack/tcp/trace.hpp: a CSV file whose first line is exactly

    time,conn,event,seq,ack,len,flags,win,state,cwnd,ssthresh,inflight,srtt_ms,rttvar_ms,rto_ms,sample_ms,detail

and then one line per event. scripts/plot-tcp and the labs' checks import this module (standard
library only) to get the events as typed records:

    import sys; sys.path.insert(0, "<repo>/scripts")
    import tundra_trace as tt
    trace = tt.load("trace.csv")            # raises tt.TraceError naming file and line on bad input
    conn = trace.main                       # the connection that moved the most payload bytes
    for t, cwnd, ssthresh, inflight in tt.cwnd_series(conn): ...

API
---
load(path, normalise=True) -> Trace
    Reads a trace file. With normalise, event times are seconds since the trace's first event
    (trace.origin holds the stack-clock time that became 0). A last line cut short (no newline,
    malformed) is left out and trace.truncated set; any other bad line raises TraceError.
parse(lines, name="<trace>", normalise=True, allow_truncated=False) -> Trace
    The same from any iterable of lines (e.g. a list of strings in a test); `name` is used in errors.
TraceError (a ValueError)
    Bad header, malformed line, empty file. str(e) is "FILE:LINE: what is wrong"; also e.path, e.lineno.

Trace
    .path, .origin (float), .events (list of Event, file order), .connections (list of Connection,
    in order of first appearance; conn.index is the position), len(trace), iteration over events.
    .truncated: True when load() left out a last line cut short (a program killed mid-write).
    .main -> Connection: the one with the most payload bytes sent + received (ties: the earliest).
    .connection(selector) -> Connection: selector is an index (int or digits), a full 4-tuple
        "10.0.0.2:80-10.0.0.1:41000", "main", or a substring matching exactly one tuple (":41000").
        Raises LookupError with a readable message otherwise.

Event (a NamedTuple; one CSV row, empty fields are None)
    time (float s), conn (str), event (str, one of EVENT_KINDS), seq, ack, len, flags (str),
    win, state (str), cwnd, ssthresh, inflight (int bytes; ssthresh None while "infinite"),
    srtt_ms, rttvar_ms, rto_ms, sample_ms (float ms or None), detail (str, "" if empty),
    lineno (int, line in the file).
    Properties: syn, fin, rst, psh, has_ack (bool from flags), rexmit (detail says "rexmit"),
    end (seq + len, plus one for SYN and for FIN: the sequence space the segment occupies),
    sack (list of (left, right) blocks from "sack=..."), details (parse_detail(detail)).

Connection
    .key (the 4-tuple string), .index, .local, .remote (("10.0.0.2", 80) pairs), .events (list),
    .bytes_sent, .bytes_received (payload bytes of send/recv rows, retransmissions included),
    .bytes_retransmitted, .counts (collections.Counter of event kinds), .start, .end, .duration
    (seconds), .final_state, .of(*kinds) -> list of its events of those kinds.

Helpers (each takes a Connection, or any list of one connection's events)
    cwnd_series(c)       -> [(time, cwnd, ssthresh or None, inflight)] from every row
    sent_segments(c, data_only=False)
                         -> [Segment(time, seq, len, end, flags, rexmit, ack, win)] of send rows;
                            data_only keeps those carrying payload, SYN or FIN
    received_segments(c, data_only=False)
                         -> the same for recv rows (seq in the peer's space; rexmit is inferred:
                            True when the segment lies wholly below the highest end seen before)
    retransmissions(c)   -> the sent segments with rexmit True
    acks_received(c)     -> [(time, ack, win)] of recv rows with ACK set: the ACK line in our
                            sequence space; ack + win is the peer's receive-window line
    acks_sent(c)         -> the same for send rows (the peer's sequence space)
    rtt_samples(c)       -> [RttSample(time, sample_ms, srtt_ms, rttvar_ms, rto_ms)] of rtt rows
    state_changes(c)     -> [(time, from_state or None, to_state)] of state rows
    state_counts(trace)  -> (times, {state: [count at each time]}): how many connections of the
                            whole trace are in each state, after each state row
    parse_detail(text)   -> {"rexmit": True, "from": "SYN-SENT", "sack": "1-2 3-4", ...}
    parse_sack(text)     -> [(left, right), ...]

Constants: HEADER (tuple of column names), EVENT_KINDS (frozenset), STATES (RFC state names in
lifecycle order), FLAG_CHARS.
"""

from __future__ import annotations

import collections
import re
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

__all__ = [
    "HEADER", "EVENT_KINDS", "STATES", "FLAG_CHARS", "TraceError", "Event", "Segment",
    "RttSample", "Connection", "Trace", "load", "parse", "cwnd_series", "sent_segments",
    "received_segments", "retransmissions", "acks_received", "acks_sent", "rtt_samples",
    "state_changes", "state_counts", "parse_detail", "parse_sack",
]

HEADER = ("time", "conn", "event", "seq", "ack", "len", "flags", "win", "state", "cwnd",
          "ssthresh", "inflight", "srtt_ms", "rttvar_ms", "rto_ms", "sample_ms", "detail")
HEADER_LINE = ",".join(HEADER)

EVENT_KINDS = frozenset(("send", "recv", "state", "rtt", "rto", "fast_retransmit", "tlp",
                         "persist", "dupack", "cwnd", "rack_lost", "spurious_rto",
                         "spurious_recovery"))

STATES = ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
          "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT")
_MISSING = object()

# tcpdump's letters: SYN, FIN, RST, PSH, URG, ECE, CWR, and "." for ACK.
FLAG_CHARS = frozenset("SFRPUEW.")

_CONN_RE = re.compile(r"^([0-9.]+|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+):(\d+)-"
                      r"([0-9.]+|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+):(\d+)$")


class TraceError(ValueError):
    """A trace that cannot be read. str() is 'FILE:LINE: message' (no line for file-wide errors)."""

    def __init__(self, path: str, lineno: Optional[int], message: str):
        self.path = path
        self.lineno = lineno
        self.message = message
        where = f"{path}:{lineno}" if lineno is not None else path
        super().__init__(f"{where}: {message}")


class Event(NamedTuple):
    """One row of the trace. Empty CSV fields are None (detail is "" when empty)."""

    time: float
    conn: str
    event: str
    seq: Optional[int]
    ack: Optional[int]
    len: Optional[int]
    flags: str
    win: Optional[int]
    state: str
    cwnd: Optional[int]
    ssthresh: Optional[int]
    inflight: Optional[int]
    srtt_ms: Optional[float]
    rttvar_ms: Optional[float]
    rto_ms: Optional[float]
    sample_ms: Optional[float]
    detail: str
    lineno: int

    @property
    def syn(self) -> bool:
        return "S" in self.flags

    @property
    def fin(self) -> bool:
        return "F" in self.flags

    @property
    def rst(self) -> bool:
        return "R" in self.flags

    @property
    def psh(self) -> bool:
        return "P" in self.flags

    @property
    def has_ack(self) -> bool:
        return "." in self.flags

    @property
    def rexmit(self) -> bool:
        """True for a retransmitted segment (the trace's detail says "rexmit")."""
        return "rexmit" in self.detail and "rexmit" in self.detail.split()

    @property
    def end(self) -> Optional[int]:
        """seq + len, plus one for a SYN and one for a FIN: the first number after the segment."""
        if self.seq is None:
            return None
        return self.seq + (self.len or 0) + ("S" in self.flags) + ("F" in self.flags)

    @property
    def sack(self) -> List[Tuple[int, int]]:
        """SACK blocks carried by a recv row, in our sequence space; [] when none."""
        return parse_sack(self.detail) if "sack=" in self.detail else []

    @property
    def details(self) -> Dict[str, object]:
        return parse_detail(self.detail)


class Segment(NamedTuple):
    """A sent or received segment (see sent_segments / received_segments)."""

    time: float
    seq: int
    len: int
    end: int
    flags: str
    rexmit: bool
    ack: Optional[int]
    win: Optional[int]


class RttSample(NamedTuple):
    time: float
    sample_ms: float
    srtt_ms: Optional[float]
    rttvar_ms: Optional[float]
    rto_ms: Optional[float]


def _split_endpoint(text: str) -> Tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class Connection:
    """The events of one connection (one 4-tuple) and a few totals."""

    def __init__(self, key: str, index: int):
        self.key = key
        self.index = index
        m = _CONN_RE.match(key)
        if m:
            self.local = (m.group(1).strip("[]"), int(m.group(2)))
            self.remote = (m.group(3).strip("[]"), int(m.group(4)))
        else:  # parse() only admits keys that match; this is for hand-made Connections
            local, _, remote = key.partition("-")
            self.local, self.remote = (local, 0), (remote, 0)
        self.events: List[Event] = []
        self.bytes_sent = 0
        self.bytes_received = 0
        self.bytes_retransmitted = 0
        self.counts: collections.Counter = collections.Counter()

    def _finish(self) -> None:
        sent = received = rexmit = 0
        counts: collections.Counter = collections.Counter()
        for e in self.events:
            counts[e.event] += 1
            if e.event == "send":
                sent += e.len or 0
                if e.detail and e.rexmit:
                    rexmit += e.len or 0
            elif e.event == "recv":
                received += e.len or 0
        self.bytes_sent, self.bytes_received, self.bytes_retransmitted = sent, received, rexmit
        self.counts = counts

    @property
    def start(self) -> float:
        return self.events[0].time if self.events else 0.0

    @property
    def end(self) -> float:
        return self.events[-1].time if self.events else 0.0

    @property
    def duration(self) -> float:
        return round(self.end - self.start, 6)

    @property
    def bytes_total(self) -> int:
        return self.bytes_sent + self.bytes_received

    @property
    def final_state(self) -> Optional[str]:
        return self.events[-1].state if self.events else None

    def of(self, *kinds: str) -> List[Event]:
        """This connection's events of the given kinds ("send", "rtt", ...), in order."""
        wanted = set(kinds)
        return [e for e in self.events if e.event in wanted]

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    def __repr__(self) -> str:
        return (f"Connection({self.key!r}, index={self.index}, events={len(self.events)}, "
                f"sent={self.bytes_sent}, received={self.bytes_received})")


class Trace:
    """A whole trace: every event, and the events grouped by connection."""

    def __init__(self, path: str, events: List[Event], origin: float):
        self.path = path
        self.events = events
        self.origin = origin
        self.truncated = False  # the file's last line was cut short and left out
        by_key: Dict[str, Connection] = {}
        for e in events:
            c = by_key.get(e.conn)
            if c is None:
                c = by_key[e.conn] = Connection(e.conn, len(by_key))
            c.events.append(e)
        for c in by_key.values():
            c._finish()
        self.by_key = by_key
        self.connections: List[Connection] = list(by_key.values())

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    @property
    def start(self) -> float:
        return min((e.time for e in self.events), default=0.0)

    @property
    def end(self) -> float:
        return max((e.time for e in self.events), default=0.0)

    @property
    def main(self) -> Optional[Connection]:
        """The connection that sent or received the most payload bytes (None for no events)."""
        best = None
        for c in self.connections:
            if best is None or c.bytes_total > best.bytes_total:
                best = c
        return best

    def connection(self, selector) -> Connection:
        """Finds a connection by index, full 4-tuple, "main", or a unique part of the 4-tuple."""
        if not self.connections:
            raise LookupError(f"{self.path}: the trace has no connections")
        if isinstance(selector, int) or (isinstance(selector, str) and selector.isdigit()):
            i = int(selector)
            if 0 <= i < len(self.connections):
                return self.connections[i]
            raise LookupError(f"no connection #{i}: the trace has {len(self.connections)} "
                              f"(0..{len(self.connections) - 1})")
        text = str(selector).strip()
        if text == "main":
            return self.main
        if text in self.by_key:
            return self.by_key[text]
        matches = [c for c in self.connections if text and text in c.key]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise LookupError(f"no connection matches '{text}' (see --list)")
        raise LookupError(f"'{text}' matches {len(matches)} connections, e.g. "
                          f"{matches[0].key} and {matches[1].key}")


def _bad_field(path, lineno, fields):
    """Names the first field of a malformed row (the slow path of parse())."""
    ints = (3, 4, 5, 7, 9, 10, 11)
    floats = (0, 12, 13, 14, 15)
    for i in range(len(HEADER)):
        v = fields[i]
        if i in ints and v:
            try:
                if int(v) < 0:
                    raise ValueError
            except ValueError:
                return TraceError(path, lineno, f"{HEADER[i]}: not a non-negative integer: '{v}'")
        if i in floats and (v or i == 0):
            try:
                float(v)
            except ValueError:
                return TraceError(path, lineno, f"{HEADER[i]}: not a number: '{v}'")
    return TraceError(path, lineno, "malformed line")


def _cached(text: str, cache: dict, convert):
    """Converts one field (the slow path of parse()), remembering the value while the cache is
    small. Raises ValueError on a bad or negative number."""
    value = cache.get(text, _MISSING)
    if value is _MISSING:
        value = convert(text)
        if value < 0:
            raise ValueError(text)
        if len(cache) < 100000:
            cache[text] = value
    return value


def parse(lines: Iterable[str], name: str = "<trace>", normalise: bool = True,
          allow_truncated: bool = False) -> Trace:
    """Parses the lines of a trace (header first). Raises TraceError on bad input; with
    allow_truncated, a bad last line without its newline is dropped (trace.truncated)."""
    it = iter(lines)
    try:
        header = next(it)
    except StopIteration:
        raise TraceError(name, None, "empty file: no header line "
                         f"(expected '{HEADER_LINE}')") from None
    header = header.rstrip("\r\n").lstrip("\ufeff")
    if header != HEADER_LINE:
        got = header if len(header) <= 60 else header[:57] + "..."
        raise TraceError(name, 1, f"not a tundra TCP trace: bad header '{got}' "
                         f"(expected '{HEADER_LINE}')")

    events: List[Event] = []
    append = events.append
    ncols = len(HEADER)
    # Most values repeat (windows, cwnd, RTO, state names...): converting each distinct string
    # once keeps a million-line trace fast and small. seq and ack rarely repeat: converted as is.
    icache: Dict[str, Optional[int]] = {"": None}
    fcache: Dict[str, Optional[float]] = {"": None}
    ig, fg = icache.get, fcache.get
    flag_cache: Dict[str, str] = {}
    state_cache: Dict[str, str] = {s: s for s in STATES}
    detail_cache: Dict[str, str] = {}
    conns: Dict[str, str] = {}
    kinds = EVENT_KINDS
    new = tuple.__new__
    miss = _MISSING
    origin = None
    line = ""
    try:
        for lineno, line in enumerate(it, start=2):
            text = line.rstrip("\r\n")
            if not text:
                continue
            f = text.split(",")
            if len(f) != ncols:
                raise TraceError(name, lineno, f"expected {ncols} comma-separated fields, got {len(f)}")
            try:
                t = float(f[0])
                if origin is None:
                    origin = t if normalise else 0.0
                # Rounded to the trace's microseconds so that 0.0201 stays 0.0201.
                t = round(t - origin, 6)
                v = f[3]
                seq = int(v) if v else None
                v = f[4]
                ack = int(v) if v else None
                iv = [ig(v, miss) for v in (f[5], f[7], f[9], f[10], f[11])]
                if miss in iv:
                    iv = [_cached(v, icache, int) for v in (f[5], f[7], f[9], f[10], f[11])]
                fv = [fg(v, miss) for v in (f[12], f[13], f[14], f[15])]
                if miss in fv:
                    fv = [_cached(v, fcache, float) for v in (f[12], f[13], f[14], f[15])]
            except ValueError:
                raise _bad_field(name, lineno, f) from None
            conn = conns.get(f[1])
            if conn is None:
                conn = f[1]
                if not _CONN_RE.match(conn):
                    raise TraceError(name, lineno, f"conn: not LOCAL:PORT-REMOTE:PORT: '{conn}'")
                conns[conn] = conn
            kind = f[2]
            if kind not in kinds:
                raise TraceError(name, lineno, f"event: unknown kind '{kind}' "
                                 f"(expected one of {', '.join(sorted(kinds))})")
            flags = flag_cache.get(f[6])
            if flags is None:
                flags = f[6]
                if not set(flags) <= FLAG_CHARS:
                    raise TraceError(name, lineno, f"flags: not tcpdump-style flags: '{flags}'")
                flag_cache[flags] = flags
            state = state_cache.get(f[8])
            if state is None:
                raise TraceError(name, lineno, f"state: unknown state '{f[8]}' "
                                 f"(expected an RFC 9293 name such as ESTABLISHED)")
            detail = f[16]
            cached = detail_cache.get(detail)
            if cached is not None:
                detail = cached
            elif len(detail) < 24 and len(detail_cache) < 10000:
                detail_cache[detail] = detail
            append(new(Event, (t, conn, kind, seq, ack, iv[0], flags, iv[1], state, iv[2], iv[3],
                               iv[4], fv[0], fv[1], fv[2], fv[3], detail, lineno)))
    except TraceError:
        # A program killed while writing leaves its last line cut short: with allow_truncated
        # (load() sets it) that line is dropped and trace.truncated says so.
        if not (allow_truncated and not line.endswith("\n") and events):
            raise
        truncated = True
    else:
        truncated = False

    if origin is None:
        origin = 0.0
    elif normalise:
        earliest = min(e.time for e in events)
        if earliest < 0:  # rows out of order: the earliest event becomes 0
            replace = Event._replace
            events = [replace(e, time=round(e.time - earliest, 6)) for e in events]
            origin = round(origin + earliest, 6)
    trace = Trace(name, events, origin)
    trace.truncated = truncated
    return trace


def load(path: str, normalise: bool = True) -> Trace:
    """Reads the trace in `path`. Raises TraceError (also for a missing or unreadable file)."""
    try:
        with open(path, "r", encoding="utf-8", errors="replace", newline="") as fh:
            return parse(fh, name=str(path), normalise=normalise, allow_truncated=True)
    except FileNotFoundError:
        raise TraceError(str(path), None, "no such file") from None
    except IsADirectoryError:
        raise TraceError(str(path), None, "is a directory, not a trace file") from None
    except PermissionError:
        raise TraceError(str(path), None, "permission denied") from None
    except OSError as e:
        raise TraceError(str(path), None, e.strerror or str(e)) from None


def parse_detail(text: str) -> Dict[str, object]:
    """Splits a detail field: "rexmit" -> {"rexmit": True}; "from=SYN-SENT" -> {"from": ...};
    words after a key=value that have no "=" belong to it ("sack=1-2 3-4" -> {"sack": "1-2 3-4"})."""
    out: Dict[str, object] = {}
    key = None
    for word in text.split():
        if "=" in word:
            key, _, value = word.partition("=")
            out[key] = value
        elif key is not None and key == "sack" and "-" in word:
            out[key] = f"{out[key]} {word}"
        else:
            out[word] = True
            key = None
    return out


_SACK_RE = re.compile(r"(\d+)-(\d+)")


def parse_sack(text: str) -> List[Tuple[int, int]]:
    """The SACK blocks of a detail field ("sack=1000-2000 3000-4000") as [(1000, 2000), ...]."""
    value = parse_detail(text).get("sack")
    if not isinstance(value, str):
        return []
    return [(int(a), int(b)) for a, b in _SACK_RE.findall(value)]


def _events(c) -> List[Event]:
    return c.events if isinstance(c, (Connection, Trace)) else list(c)


def cwnd_series(c) -> List[Tuple[float, int, Optional[int], int]]:
    """(time, cwnd, ssthresh or None, inflight) for every row of the connection."""
    return [(e.time, e.cwnd, e.ssthresh, e.inflight) for e in _events(c) if e.cwnd is not None]


def _segments(events: List[Event], kind: str, data_only: bool, infer_rexmit: bool) -> List[Segment]:
    out: List[Segment] = []
    highest = None
    for e in events:
        if e.event != kind or e.seq is None:
            continue
        n = e.len or 0
        flags = e.flags
        end = e.seq + n + ("S" in flags) + ("F" in flags)
        if data_only and end == e.seq:
            continue
        if infer_rexmit:
            rexmit = highest is not None and end > e.seq and end <= highest
        else:
            rexmit = bool(e.detail) and e.rexmit
        if highest is None or end > highest:
            highest = end
        out.append(Segment(e.time, e.seq, n, end, flags, rexmit, e.ack, e.win))
    return out


def sent_segments(c, data_only: bool = False) -> List[Segment]:
    """The segments we sent (seq relative to our ISS); rexmit as the trace marks it."""
    return _segments(_events(c), "send", data_only, infer_rexmit=False)


def received_segments(c, data_only: bool = False) -> List[Segment]:
    """The segments that arrived (seq relative to the peer's IRS); rexmit inferred from seq."""
    return _segments(_events(c), "recv", data_only, infer_rexmit=True)


def retransmissions(c) -> List[Segment]:
    """The sent segments the trace marks as retransmissions."""
    return [s for s in sent_segments(c) if s.rexmit]


def acks_received(c) -> List[Tuple[float, int, Optional[int]]]:
    """(time, ack, win) of arriving segments with ACK: our ACK line and receive window."""
    return [(e.time, e.ack, e.win) for e in _events(c)
            if e.event == "recv" and e.ack is not None]


def acks_sent(c) -> List[Tuple[float, int, Optional[int]]]:
    """(time, ack, win) of our segments with ACK, in the peer's sequence space."""
    return [(e.time, e.ack, e.win) for e in _events(c)
            if e.event == "send" and e.ack is not None]


def rtt_samples(c) -> List[RttSample]:
    """The RTT samples (rtt rows) with SRTT, RTTVAR and RTO after each."""
    return [RttSample(e.time, e.sample_ms, e.srtt_ms, e.rttvar_ms, e.rto_ms)
            for e in _events(c) if e.event == "rtt" and e.sample_ms is not None]


def state_changes(c) -> List[Tuple[float, Optional[str], str]]:
    """(time, from_state, to_state) of the state rows; from_state from detail "from=...", or None."""
    out = []
    for e in _events(c):
        if e.event == "state":
            prev = parse_detail(e.detail).get("from")
            out.append((e.time, prev if isinstance(prev, str) else None, e.state))
    return out


def state_counts(trace) -> Tuple[List[float], Dict[str, List[int]]]:
    """How many connections are in each state over time, from the state rows of all connections.

    Returns (times, counts): after the state row at times[i], counts[S][i] connections are in
    state S. A connection counts nowhere before its first state row; CLOSED is counted too (a
    connection that has closed stays there), so leave it out when plotting what is still alive.
    Only states that occur are keys.
    """
    events = trace.events if isinstance(trace, Trace) else list(trace)
    slot = {s: i for i, s in enumerate(STATES)}
    current: Dict[str, int] = {}
    live = [0] * len(STATES)
    seen = [False] * len(STATES)
    times: List[float] = []
    rows: List[Tuple[int, ...]] = []
    for e in events:
        if e.event != "state":
            continue
        new = slot[e.state]
        old = current.get(e.conn)
        if old is not None:
            live[old] -= 1
        current[e.conn] = new
        live[new] += 1
        seen[new] = True
        times.append(e.time)
        rows.append(tuple(live))
    counts = {s: [r[i] for r in rows] for i, s in enumerate(STATES) if seen[i]}
    return times, counts
