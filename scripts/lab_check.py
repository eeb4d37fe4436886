#!/usr/bin/env python3
"""lab_check.py: checks what a TCP lab (docs/labs, scripts/lab.sh) says you will see, against the
trace tundra wrote and the programs' logs, and prints each claim with the figures behind it.

  scripts/lab_check.py NAME DIR

Exit status 0 when every claim holds, 1 when one does not, 2 on bad arguments or unreadable input.
"""
import bisect
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tundra_trace as tt  # noqa: E402

failures = 0
# fast_retransmit details that start a recovery: RACK found a loss on an ACK, or by its
# reordering timer; or, without SACK, the third duplicate ACK.
STARTS = ("rack", "rack_timer", "dupacks")


def claim(ok, text, evidence=""):
    """Prints one checked claim: '[ok]' or '[FAILED]', the claim, and the figures behind it."""
    global failures
    if not ok:
        failures += 1
    print(f"[{'ok' if ok else 'FAILED'}] {text}" + (f"\n       {evidence}" if evidence else ""))


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def mss_of(conn):
    lens = [e.len for e in conn.of("send") if e.len]
    return max(lens) if lens else 0


def sha_of(text, word):
    m = re.search(word + r".*sha256 ([0-9a-f]{64})", text)
    return m.group(1) if m else None


def rounds(conn):
    """Round trips as the ACK clock counts them: a round ends when an ACK covers everything that
    had been sent when the round began. Returns [[start time, cwnd, ssthresh, loss in round]],
    cwnd and ssthresh as they stand once the round's last ACK has been processed."""
    out, mark, highest, pending = [], None, 0, False
    for e in conn.events:
        if pending and e.event != "recv":
            out.append([e.time, e.cwnd, e.ssthresh, False])
            pending = False
        if e.event == "send" and e.len:
            highest = max(highest, e.seq + e.len)
            if not out and not pending:
                out.append([e.time, e.cwnd, e.ssthresh, False])
        elif e.event in ("fast_retransmit", "rto") and out:
            out[-1][3] = True
        elif e.event == "recv" and e.ack is not None and out:
            if mark is None:
                mark = highest  # the first round: what went out before any ACK came back
            if e.ack >= mark:
                mark, pending = highest, True
    return out


class Scoreboard:
    """What the receiver holds above the cumulative ACK, as its SACK blocks said (RFC 2018): the
    union of the blocks seen, less what the ACK has passed. Ranges [left, right), in order."""

    def __init__(self):
        self.ranges = []

    def add(self, left, right):
        merged = []
        for a, b in self.ranges:
            if b < left or a > right:
                merged.append((a, b))
            else:
                left, right = min(a, left), max(b, right)
        self.ranges = sorted(merged + [(left, right)])

    def advance(self, ack):
        self.ranges = [(max(a, ack), b) for a, b in self.ranges if b > ack]

    def bytes(self):
        return sum(b - a for a, b in self.ranges)

    def covers(self, left, right):
        return any(a <= left and right <= b for a, b in self.ranges)


def loss_repairs(conn):
    """Replays a trace as the sender saw it and returns its fast_retransmit rows, each a dict with
    what RFC 8985 6.2 (RACK), RFC 5681 3.2 and RFC 6937 3 (PRR) need to judge it:
      row, detail: the fast_retransmit row; flights: FlightSize at the ACK that led to it and at
        the first duplicate ACK of that run (for rack_timer, at the row itself), each capped at
        the cwnd before the loss (what the reduction starts from when FlightSize is larger: it
        counts SACKed data too); dupacks: duplicates of SND.UNA before it;
      sack_info: the receiver had SACKed something above SND.UNA; marked: a rack_lost row came
        since the previous recovery began (or the last timeout);
      resent: the first data segment sent after the row; sacked: the receiver held it already;
        was_rexmit: its sending before was a retransmission too; rack_ok: that sending went
        before the most recently sent segment the receiver has reported (RACK's rule);
    and, for a row that starts a recovery (STARTS):
      cwnd_rows: (cwnd, ssthresh) of every row until the recovery ends (an ACK beyond the highest
        octet sent when it began, or a timeout);
      prr: (delivered, sent, due) after each ACK of the recovery's first part, while the pipe
        (RFC 6675 4, less what RACK marked lost) is certainly above ssthresh; due is
        ssthresh / RecoverFS of what was delivered (RFC 6937 3); room: data and window were left."""
    ev = conn.events
    mss = mss_of(conn) or 1
    total = max((e.seq + e.len for e in ev if e.event == "send" and e.len), default=0)
    board = Scoreboard()
    sent = {}          # segment start -> (order of its last sending, end, that one a rexmit)
    starts = []        # the segment starts, sorted
    reported = set()   # segment starts the receiver has acknowledged or SACKed since last sent
    order = rack_order = 0
    una = snd_max = snd_nxt = 0
    lost_ub = 0        # bytes marked lost and not resent: at least what tundra holds lost
    marked_since = False
    dup_run, first_dup_flight = 0, None
    ack_row, ack_delivered = None, 0
    block = None       # the ACK being processed: pipe before its sends, and its window
    out, rec, waiting = [], None, []

    def report(left, right):
        nonlocal rack_order
        i = bisect.bisect_left(starts, left)
        while i < len(starts) and starts[i] < right:
            s = starts[i]
            if sent[s][1] <= right and s not in reported:
                reported.add(s)
                rack_order = max(rack_order, sent[s][0])  # RFC 8985 6.2 step 2
            i += 1

    def settle():
        # PRR's account of the ACK just processed, once its sends are known.
        if rec is None or not rec["open"] or block is None or not rec["proportional"]:
            return
        ss = rec["row"].ssthresh or 0
        if block["pipe"] <= ss:
            rec["proportional"] = False  # PRR's reduction bound from here on
            return
        due = -(-rec["delivered"] * ss // rec["recover_fs"])
        rec["prr"].append((rec["delivered"], rec["out"], due, block["room"]))

    last_cwnd, row_cwnd = None, None  # cwnd on the row before this one, and on this one
    for e in ev:
        last_cwnd = row_cwnd
        if e.cwnd is not None:
            row_cwnd = e.cwnd
        if rec is not None and rec["open"] and e.cwnd is not None and e.ssthresh is not None:
            rec["cwnd_rows"].append((e.cwnd, e.ssthresh))
        if e.event == "send" and e.len:
            if block is not None:
                block["sending"] = True
            order += 1
            if e.seq not in sent:
                bisect.insort(starts, e.seq)
            for r in waiting:
                prior = sent.get(e.seq)
                r.update(resent=e, sacked=board.covers(e.seq, e.seq + e.len),
                         was_rexmit=bool(prior and prior[2]),
                         rack_ok=bool(prior) and prior[0] < rack_order)
            waiting = []
            sent[e.seq] = (order, e.seq + e.len, e.rexmit)
            reported.discard(e.seq)
            snd_max = max(snd_max, e.seq + e.len)
            if e.seq <= snd_nxt:
                snd_nxt = max(snd_nxt, e.seq + e.len)
            if e.rexmit:
                lost_ub = max(lost_ub - e.len, 0)
            if rec is not None and rec["open"]:
                rec["out"] += e.len
        elif e.event == "recv" and e.ack is not None:
            settle()
            before = board.bytes()
            advanced = max(e.ack - una, 0)
            if advanced:
                report(una, e.ack)
                una = e.ack
                dup_run, first_dup_flight = 0, None
            for left, right in e.sack:
                if left >= una and right > left:
                    board.add(left, right)
                    report(left, right)
            board.advance(una)
            snd_nxt = max(snd_nxt, una)
            lost_ub = min(lost_ub, max(snd_max - una - board.bytes(), 0))
            ack_row, ack_delivered = e, max(advanced + board.bytes() - before, 0)
            block = dict(sending=False, pipe=snd_max - una - board.bytes() - lost_ub,
                         room=snd_max + mss <= total and e.ack + (e.win or 0) >= snd_max + mss)
            if rec is not None and rec["open"]:
                if una > rec["recover"]:
                    rec["open"] = False
                else:
                    rec["delivered"] += ack_delivered
        elif e.event == "dupack":
            dup_run += 1
            if dup_run == 1 and ack_row is not None:
                first_dup_flight = ack_row.inflight
        elif e.event == "rack_lost":
            n = int(e.detail or 0) * mss
            lost_ub += n
            if block is not None and not block["sending"]:
                block["pipe"] -= n
            marked_since = True
        elif e.event == "tlp":
            if rec is not None and rec["open"]:
                rec["proportional"] = False  # a tail loss probe goes outside PRR's account
        elif e.event == "rto":
            settle()
            if rec is not None:
                rec["open"] = False
            board = Scoreboard()
            lost_ub, marked_since, block = 0, False, None
            snd_nxt = una
        elif e.event == "fast_retransmit":
            # rack_timer: RACK's reordering timer found the loss, with no ACK; what was in
            # flight is the row's own, and nothing was delivered yet.
            by_timer = e.detail == "rack_timer"
            at_start = ((e.inflight,) if by_timer
                        else (ack_row.inflight if ack_row else None, first_dup_flight))
            r = dict(row=e, detail=e.detail, dupacks=dup_run, sack_info=board.bytes() > 0,
                     flights=[min(f, last_cwnd or f) for f in at_start if f],
                     marked=marked_since, resent=None, sacked=False, was_rexmit=False,
                     rack_ok=False, open=False)
            waiting.append(r)
            if e.detail in STARTS:
                if rec is not None:
                    rec["open"] = False
                r.update(open=True, recover=snd_nxt - 1, cwnd_rows=[], prr=[], out=0,
                         delivered=0 if by_timer else ack_delivered, proportional=True,
                         recover_fs=max(at_start[0] or 0, mss))
                rec, marked_since = r, False
            out.append(r)
    settle()
    return out


def repair_follows_rules(r):
    """Whether a fast retransmit resent what the rule named by its detail allows."""
    s = r["resent"]
    if s is None or not s.rexmit:
        return False
    if r["detail"] in ("rack", "rack_timer"):
        # RFC 8985 6.2: a segment marked lost, not SACKed, at or above SND.UNA, sent before a
        # segment the receiver has since reported.
        return r["marked"] and not r["sacked"] and s.seq >= r["row"].seq and r["rack_ok"]
    if r["detail"] == "lost_rexmit":
        # The same rule for a retransmission: it went before a segment since reported.
        return s.seq == r["row"].seq and r["was_rexmit"] and r["rack_ok"]
    # Without SACK information: the segment at SND.UNA, on the third duplicate ACK (RFC 5681 3.2)
    # or on a partial ACK (RFC 6582 3.2 step 3).
    if r["sack_info"] or s.seq != r["row"].seq:
        return False
    return r["detail"] == "partial_ack" or (r["detail"] == "dupacks" and r["dupacks"] >= 3)


def check_recoveries(c, beta, cc_name):
    """The claims the slowstart and loss labs share about loss recovery: what starts a recovery and
    what it resends (RACK, RFC 8985 6.2; RFC 5681 3.2 without SACK), how far ssthresh falls (beta),
    and, with SACK, how much goes out during it (PRR, RFC 6937 3)."""
    mss = mss_of(c)
    repairs = loss_repairs(c)
    starts = [r for r in repairs if r["detail"] in STARTS]
    by = {d: sum(1 for r in repairs if r["detail"] == d)
          for d in STARTS + ("lost_rexmit", "partial_ack")}
    good = sum(1 for r in repairs if repair_follows_rules(r))
    dups = [min(r["dupacks"], 3) for r in starts]
    claim(starts and good == len(repairs),
          "every recovery starts when RACK marks a segment lost (detail rack: one sent after it "
          "has arrived, RFC 8985 6.2; rack_timer: found by its reordering timer, no ACK "
          "arriving) or, without SACK, on the third duplicate ACK (dupacks), and each fast "
          "retransmit resends a segment its rule calls lost",
          f"{len(starts)} recoveries: {by['rack']} rack, {by['rack_timer']} rack_timer, "
          f"{by['dupacks']} dupacks "
          f"(after 0/1/2/3+ duplicate ACKs: " + "/".join(str(dups.count(k)) for k in range(4))
          + f"); {by['lost_rexmit']} lost retransmissions resent again (lost_rexmit), "
          f"{by['partial_ack']} partial_ack; {good} of {len(repairs)} checked")
    cut = sum(1 for r in starts
              if any(abs(r["row"].ssthresh / f - beta) <= 0.1 for f in r["flights"])
              or r["row"].ssthresh <= 2 * mss)
    claim(starts and cut == len(starts),
          f"each recovery sets ssthresh to about {beta} of what was in flight ({cc_name})",
          f"{cut} of {len(starts)}")
    # With SACK only: without it, RFC 5681 3.2 inflates cwnd by a segment per duplicate ACK.
    sack = [r for r in starts if r["detail"] in ("rack", "rack_timer")]
    steady = sum(1 for r in sack if all(cw == ss for cw, ss in r["cwnd_rows"]))
    pts = [p for r in sack for p in r["prr"]]
    over = [p for p in pts if p[1] > p[2] + mss]
    under = [p for p in pts if p[3] and p[1] < p[2]]
    last = [r["prr"][-1] for r in sack if r["prr"]]
    delivered, sent = sum(p[0] for p in last), sum(p[1] for p in last)
    share = (sum(r["row"].ssthresh for r in sack if r["prr"])
             / max(sum(r["recover_fs"] for r in sack if r["prr"]), 1))
    claim(sack and steady == len(sack) and len(pts) >= 5 and not over and not under,
          "in a SACK recovery cwnd stays at ssthresh (no inflation), and while the pipe is above "
          "ssthresh PRR sends ssthresh/RecoverFS of what is delivered (RFC 6937 3)",
          f"cwnd = ssthresh throughout {steady} of {len(sack)} recoveries; {len(pts)} ACKs in "
          f"{len(last)} recoveries while the pipe was above ssthresh: {delivered // 1000} kB "
          f"delivered, {sent // 1000} kB sent (x{sent / max(delivered, 1):.2f}; "
          f"ssthresh/RecoverFS x{share:.2f}); {len(over)} ACKs let out more, {len(under)} less")


def check_handshake(d):
    a = tt.load(os.path.join(d, "active.csv")).main
    sends, recvs = a.of("send"), a.of("recv")
    syn, synack, ack = sends[0], recvs[0], sends[1]
    claim(syn.flags == "S" and syn.seq == 0 and syn.ack is None and syn.state == "SYN-SENT",
          "active open: tundra's first segment is a SYN, sequence number 0 (relative to its ISN), "
          "in SYN-SENT", f"{syn.flags} seq={syn.seq} state={syn.state}")
    claim(synack.flags == "S." and synack.ack == 1,
          "the kernel answers SYN-ACK, acknowledging 1: the SYN took one sequence number",
          f"{synack.flags} seq={synack.seq} ack={synack.ack}")
    claim(ack.flags == "." and ack.seq == 1 and ack.ack == 1 and ack.len == 0
          and ack.state == "ESTABLISHED",
          "tundra's ACK (seq 1, ack 1, no data) completes the handshake: ESTABLISHED",
          f"{ack.flags} seq={ack.seq} ack={ack.ack} len={ack.len} state={ack.state}")
    handshake_ms = (synack.time - syn.time) * 1000
    claim(9 <= handshake_ms <= 50, "SYN to SYN-ACK takes one round trip (5 ms each way)",
          f"{handshake_ms:.1f} ms; first RTT sample {a.of('rtt')[0].sample_ms} ms")
    (laddr, lport), (raddr, rport) = a.local, a.remote
    claim(laddr == "10.0.0.2" and raddr == "10.0.0.1" and rport == 7001
          and 49152 <= lport <= 65535,
          "the 4-tuple: tundra's address and an ephemeral port (49152-65535), the server's "
          "address and port 7001", a.key)
    states = [s for _, _, s in tt.state_changes(a)]
    closing = states[2:]
    claim(states[:2] == ["SYN-SENT", "ESTABLISHED"]
          and closing in (["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"], ["FIN-WAIT-1", "TIME-WAIT"],
                          ["FIN-WAIT-1", "CLOSING", "TIME-WAIT"]),
          "the side that closes first goes FIN-WAIT-1, FIN-WAIT-2 (skipped when the peer's FIN "
          "carries the ACK of ours), TIME-WAIT", " > ".join(states))
    sink = read(os.path.join(d, "kernel-sink.log"))
    claim(sha_of(read(os.path.join(d, "active.log")), "sent") == sha_of(sink, "received"),
          "the kernel received the 64 KiB tundra sent, byte for byte (sha256)")

    p = tt.load(os.path.join(d, "passive.csv")).main
    first_in, first_out = p.of("recv")[0], p.of("send")[0]
    claim(first_in.flags == "S" and first_out.flags == "S." and first_out.ack == 1,
          "passive open: a SYN arrives, tundra answers SYN-ACK acknowledging it",
          f"in {first_in.flags}, out {first_out.flags} ack={first_out.ack}")
    pstates = [(f, s) for _, f, s in tt.state_changes(p)]
    claim(pstates[:2] == [("LISTEN", "SYN-RECEIVED"), ("SYN-RECEIVED", "ESTABLISHED")],
          "LISTEN, SYN-RECEIVED, then ESTABLISHED when the kernel's ACK arrives",
          " > ".join(s for _, s in pstates))
    claim(p.local[1] == 7002 and p.remote[0] == "10.0.0.1" and p.remote[1] >= 1024,
          "here the kernel chose the ephemeral port", p.key)


def check_slowstart(d):
    c = tt.load(os.path.join(d, "slowstart.csv")).main
    mss = mss_of(c)
    rs = rounds(c)
    first_loss = next((i for i, r in enumerate(rs) if r[3]), None)
    claim(first_loss is not None, "the bottleneck's queue overflows: a loss ends slow start",
          f"{len(c.of('fast_retransmit'))} fast retransmits, {len(c.of('rto'))} timeouts")
    if first_loss is None:
        return
    ss = [r[1] for r in rs[:first_loss + 1] if r[2] is None]
    ratios = [b / a for a, b in zip(ss, ss[1:])]
    claim(len(ratios) >= 3 and 1.6 <= statistics.median(ratios) <= 2.4,
          "slow start: cwnd roughly doubles every round trip",
          "cwnd per round: " + ", ".join(f"{x // 1000} kB" for x in ss)
          + (f"; median growth x{statistics.median(ratios):.2f}" if ratios else ""))
    cc_file = os.path.join(d, "cc")
    cc_name = read(cc_file).strip() if os.path.exists(cc_file) else "newreno"
    is_newreno = cc_name != "cubic"
    beta = 0.5 if is_newreno else 0.7  # RFC 5681 3.1 eq. 4; RFC 9438 4.6
    loss_row = next(e for e in c.events if e.event in ("fast_retransmit", "rto"))
    after = next(e for e in c.events if e.time >= loss_row.time and e.ssthresh is not None)
    ratio = after.ssthresh / max(loss_row.inflight, 1)
    claim(beta - 0.1 <= ratio <= beta + 0.1 or after.ssthresh == 2 * mss,
          f"at the loss, ssthresh drops to {beta} of the data in flight ({cc_name})",
          f"in flight {loss_row.inflight // 1000} kB, ssthresh {after.ssthresh // 1000} kB "
          f"(x{ratio:.2f})")
    ca = []
    for r0, r1 in zip(rs[first_loss + 1:], rs[first_loss + 2:]):
        if r0[3] or r0[2] is None or r0[1] < r0[2]:
            continue  # a round with a loss, or still in slow start after a timeout
        ca.append((r1[1] - r0[1]) / mss)
    growth = statistics.median(ca) if ca else None
    cc = c.events[-1]
    if is_newreno:
        claim(growth is not None and len(ca) >= 5 and 0.5 <= growth <= 1.6,
              "congestion avoidance: cwnd grows by about one segment per round trip",
              f"median growth {growth:.2f} segments per round over {len(ca)} rounds"
              if growth is not None else "no congestion-avoidance rounds")
    else:
        claim(growth is not None and len(ca) >= 5 and growth > 0,
              "congestion avoidance (CUBIC): cwnd grows along the cubic curve between losses",
              f"median growth {growth:.2f} segments per round over {len(ca)} rounds"
              if growth is not None else "no congestion-avoidance rounds")
    losses = sum(1 for r in rs if r[3])
    claim(losses >= 2, "the sawtooth: loss, halve, grow again, loss again",
          f"{losses} rounds with a loss; final cwnd {cc.cwnd // 1000} kB")
    check_recoveries(c, beta, cc_name)
    marked = sum(int(e.detail or 0) for e in c.of("rack_lost"))
    claim(not c.of("rto"),
          "no retransmission timeout: every loss, a lost retransmission too, is repaired by "
          "fast recovery",
          f"{len(c.of('rto'))} timeouts, {len(c.of('tlp'))} tail loss probes; "
          f"{len(tt.retransmissions(c))} segments resent, {marked} marked lost by RACK")


def loss_sha_ok(d, log, sink):
    return sha_of(read(os.path.join(d, log)), "sent") == sha_of(read(os.path.join(d, sink)), "received")


def timer_resends(conn):
    """Segments resent after a retransmission timeout, until an ACK reaches what had been sent when
    it fired: the timer's go-back-N (RFC 5681 3.1, RFC 6298 5.4)."""
    n, until, snd_max = 0, None, 0
    for e in conn.events:
        if e.event == "send" and e.len:
            if until is not None and e.rexmit:
                n += 1
            snd_max = max(snd_max, e.seq + e.len)
        elif e.event == "rto" and e.state not in ("SYN-SENT", "SYN-RECEIVED"):
            until = snd_max
        elif e.event == "recv" and until is not None and e.ack is not None and e.ack >= until:
            until = None
    return n


def check_loss(d):
    c = tt.load(os.path.join(d, "loss.csv")).main
    cc_file = os.path.join(d, "cc")
    cc_name = read(cc_file).strip() if os.path.exists(cc_file) else "newreno"
    check_recoveries(c, 0.5 if cc_name != "cubic" else 0.7, cc_name)
    rex = tt.retransmissions(c)
    marked = sum(int(e.detail or 0) for e in c.of("rack_lost"))
    probes = len(c.of("tlp"))
    other = sum(1 for e in c.of("fast_retransmit") if e.detail in ("dupacks", "partial_ack"))
    timer = timer_resends(c)
    claim(loss_sha_ok(d, "bulk.log", "kernel-sink.log")
          and len(rex) <= marked + probes + other + timer,
          "despite the losses every byte arrived (sha256 equal at both ends), and only what RACK "
          "marked lost, a tail loss probe or the timer sent a segment twice",
          f"{len(rex)} segments resent ({sum(s.len for s in rex) // 1024} KiB): {marked} marked "
          f"lost by RACK, {probes} tail loss probes, {timer} after {len(c.of('rto'))} timeouts; "
          f"{len(c.of('dupack'))} duplicate ACKs")

    t = tt.load(os.path.join(d, "timeout.csv")).main
    ev = t.events
    mss = mss_of(t)
    rtos = [i for i, e in enumerate(ev) if e.event == "rto"]
    lost_again = sum(1 for e in t.of("fast_retransmit") if e.detail == "lost_rexmit")
    claim(len(rtos) >= 1, "at 20% loss the retransmission timer fires",
          f"{len(rtos)} timeouts, {len(t.of('fast_retransmit'))} fast retransmits "
          f"({lost_again} of them lost retransmissions found by RACK), "
          f"{len(t.of('tlp'))} tail loss probes")
    collapse = 0
    syn_rtos = [i for i in rtos if ev[i].state in ("SYN-SENT", "SYN-RECEIVED")]
    rtos = [i for i in rtos if i not in syn_rtos]  # a lost SYN is resent by the timer too
    for i in rtos:
        nxt = next((e for e in ev[i + 1:] if e.event == "send"), None)
        if nxt is not None and nxt.rexmit and nxt.seq == ev[i].seq and nxt.cwnd <= mss:
            collapse += 1
    claim(rtos and collapse == len(rtos),
          "after a timeout cwnd is one segment and the first unacknowledged segment goes again",
          f"{collapse} of {len(rtos)} timeouts of data"
          + (f" (and {len(syn_rtos)} of the SYN)" if syn_rtos else ""))
    doubled, pairs = 0, 0
    for a, b in zip(rtos, rtos[1:]):
        if not any(e.event == "rtt" for e in ev[a:b]):  # no new sample: the backoff stands
            pairs += 1
            doubled += abs(ev[b].rto_ms - min(2 * ev[a].rto_ms, 60000)) < 1
    claim(pairs == 0 or doubled == pairs,
          "back-to-back timeouts double the RTO (RFC 6298 5.5)",
          f"{doubled} of {pairs} back-to-back timeouts doubled it; RTOs: "
          + ", ".join(f"{ev[i].rto_ms:.0f}" for i in rtos[:8]) + " ms")
    # RFC 3522 and 4015: a spurious_rto row comes on the first ACK of new data after a run of
    # timeouts, and gives back ssthresh = max(FlightSize, ssthresh) of the run's first timeout.
    undone, good = [i for i, e in enumerate(ev) if e.event == "spurious_rto"], 0
    firsts = [i for i in rtos if ev[i].detail == "retries=1"]
    for i in undone:
        first = max((j for j in firsts if j < i), default=None)
        if first is None:
            continue
        una = ev[first].seq
        advancing = [e for e in ev[first + 1:i] if e.event == "recv" and e.ack is not None
                     and e.ack > una]
        r = ev[first]
        want = None if r.ssthresh is None else max(r.inflight or 0, r.ssthresh)
        good += (len(advancing) == 1 and ev[i].cwnd > mss
                 and ev[i].ssthresh == want)
    claim(good == len(undone),
          "a timeout whose first ACK after it echoes a timestamp older than the retransmission "
          "was spurious (RFC 3522): on that ACK (spurious_rto) ssthresh goes back to "
          "max(FlightSize, ssthresh) of before the timeout and cwnd above one segment (RFC 4015)",
          f"{len(undone)} of {len(firsts)} runs of timeouts of data were spurious; "
          f"{good} of {len(undone)} undone as RFC 4015 says")
    claim(loss_sha_ok(d, "bulk2.log", "kernel-sink2.log"), "and still every byte arrived")


def rr_summary(text):
    m = re.search(r"requests=(\d+).*?connections=(\d+).*?median_ms=([\d.]+)", text)
    return (int(m.group(1)), int(m.group(2)), float(m.group(3))) if m else None


def write_gaps(conn):
    """Seconds between the two data segments of each request (the second write's wait)."""
    data = [e for e in conn.of("send") if e.len and not e.rexmit]
    return [b.time - a.time for a, b in zip(data[0::2], data[1::2])]


def check_nagle(d):
    res = {}
    for run in ("nagle", "nodelay"):
        c = tt.load(os.path.join(d, f"{run}.csv")).main
        gaps = write_gaps(c)
        s = rr_summary(read(os.path.join(d, f"rr-{run}.log")))
        res[run] = (statistics.median(gaps) * 1000 if gaps else None, s)
    ng, ns = res["nagle"]
    dg, ds = res["nodelay"]
    claim(ns is not None and ds is not None and ns[0] == ds[0] == 40,
          "both runs completed their 40 requests", f"nagle {ns}, nodelay {ds}")
    if ns is None or ds is None or ng is None or dg is None:
        return
    claim(ng >= 20,
          "with Nagle, each request's second write waits for the ACK of the first, and the kernel "
          "delays that ACK: the delayed-ACK stall", f"median wait {ng:.1f} ms")
    claim(dg <= 2, "with TCP_NODELAY the second write goes at once", f"median wait {dg:.2f} ms")
    claim(ns[2] >= 5 * max(ds[2], 0.2),
          "so a request takes many times longer with Nagle on",
          f"median latency {ns[2]:.1f} ms with Nagle, {ds[2]:.2f} ms with TCP_NODELAY")


def check_zerowindow(d):
    c = tt.load(os.path.join(d, "zerowindow.csv")).main
    zero = [e for e in c.of("recv") if e.win == 0]
    claim(len(zero) >= 1, "the receiver's window falls to zero while it does not read",
          f"first zero window at {zero[0].time:.3f} s" if zero else "never zero")
    probes = [e for e in c.of("persist") if e.detail == "zero_window"]
    gaps = [b.time - a.time for a, b in zip(probes, probes[1:])]
    claim(len(probes) >= 2, "the persist timer probes the zero window",
          f"{len(probes)} probes at " + ", ".join(f"{p.time:.2f}" for p in probes) + " s")
    claim(len(gaps) >= 2 and all(b >= 1.5 * a for a, b in zip(gaps, gaps[1:])),
          "each unanswered probe doubles the interval (exponential backoff)",
          "intervals " + ", ".join(f"{g * 1000:.0f}" for g in gaps) + " ms")
    reopen = [e for e in c.of("recv") if probes and e.time > probes[-1].time and e.win]
    claim(bool(reopen), "when the application reads, the window opens again and data flows",
          f"window {reopen[0].win} at {reopen[0].time:.3f} s" if reopen else "")
    acks = tt.acks_received(c)
    total = max((e.seq + e.len for e in c.of("send") if e.len), default=0)
    done = next((t for t, ack, _ in acks if ack >= total), None)
    claim(bool(reopen) and done is not None and done - reopen[0].time <= 1.0,
          "and the rest follows at once: the probe byte the receiver dropped is sent again with it",
          f"last byte acknowledged {done - reopen[0].time:.3f} s after the window opened"
          if reopen and done is not None else "never all acknowledged")
    sink = read(os.path.join(d, "kernel-sink.log"))
    claim(sha_of(read(os.path.join(d, "bulk.log")), "sent") == sha_of(sink, "received"),
          "all 1 MiB arrived (sha256 equal)")


def check_timewait(d):
    ab = read(os.path.join(d, "ab.log"))
    done = re.search(r"Complete requests:\s+(\d+)", ab)
    failed = re.search(r"Failed requests:\s+(\d+)", ab)
    claim(done and int(done.group(1)) == 300 and failed and int(failed.group(1)) == 0,
          "ab completed 300 requests, none failed")
    rows = json.loads(read(os.path.join(d, "ctl-connections.json")))
    if isinstance(rows, dict):
        rows = rows.get("connections", [])
    tw = [r for r in rows if r.get("state") == "TIME-WAIT"]
    claim(len(tw) >= 295,
          "tundra-httpd closed each connection first (HTTP/1.0): each one sits in TIME-WAIT on "
          "tundra's side, as tundra-ctl shows", f"{len(tw)} of {len(rows)} connections in TIME-WAIT")
    tr = tt.load(os.path.join(d, "httpd.csv"))
    first_closers = sum(1 for c in tr.connections
                        if "FIN-WAIT-1" in [s for _, _, s in tt.state_changes(c)])
    times, counts = tt.state_counts(tr)
    peak = max(counts.get("TIME-WAIT", [0]))
    claim(peak >= 295 and first_closers >= 295,
          "the trace shows TIME-WAIT growing by one per request",
          f"{len(tr.connections)} connections, {first_closers} closed first by tundra, "
          f"TIME-WAIT peak {peak}")
    rr = read(os.path.join(d, "rr.log"))
    status = re.search(r"exit status (\d+)", rr)
    s = rr_summary(rr)
    claim(status and int(status.group(1)) == 6 and "EADDRNOTAVAIL" in rr,
          "with 50 local ports, the 51st connection finds none free: EADDRNOTAVAIL",
          next((ln for ln in rr.splitlines() if "EADDRNOTAVAIL" in ln), ""))
    claim(s is not None and s[1] == 50, "exactly 50 connections were made first",
          f"summary: {s}")
    pt = tt.load(os.path.join(d, "ports.csv"))
    ports = {c.local[1] for c in pt.connections}
    in_tw = sum(1 for c in pt.connections if c.final_state == "TIME-WAIT")
    claim(len(ports) == 50 and all(50000 <= p <= 50049 for p in ports) and in_tw == 50,
          "every one of the 50 ports is held by a connection in TIME-WAIT",
          f"{len(ports)} distinct ports, {in_tw} in TIME-WAIT at the end")


def check_keepalive(d):
    seg, rps, conns = {}, {}, {}
    for run in ("close", "keepalive"):
        tr = tt.load(os.path.join(d, f"{run}.csv"))
        # Connections opened, counted by their passive opens: ab's kernel may reuse a port whose
        # last connection tundra holds in TIME-WAIT, and the new one then has the same 4-tuple.
        conns[run] = sum(1 for e in tr.events
                         if e.event == "state" and e.state == "SYN-RECEIVED"
                         and e.detail == "from=LISTEN")
        seg[run] = sum(1 for e in tr.events if e.event in ("send", "recv")) / 300
        m = re.search(r"Requests per second:\s+([\d.]+)", read(os.path.join(d, f"ab-{run}.log")))
        rps[run] = float(m.group(1)) if m else 0
    claim(conns["close"] == 300, "without keep-alive every request opens a connection",
          f"{conns['close']} connections for 300 requests")
    claim(conns["keepalive"] == 1, "with keep-alive one connection carries them all",
          f"{conns['keepalive']} connection(s)")
    claim(seg["close"] >= 1.8 * seg["keepalive"],
          "a connection per request costs the handshake and the close every time",
          f"{seg['close']:.1f} segments per request against {seg['keepalive']:.1f}; "
          f"{rps['close']:.0f} against {rps['keepalive']:.0f} requests/s")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: lab_check.py NAME DIR")
    name, d = sys.argv[1], sys.argv[2]
    check = globals().get(f"check_{name}")
    if check is None:
        print(f"lab_check.py: error: no lab '{name}'", file=sys.stderr)
        sys.exit(2)
    try:
        check(d)
    except (OSError, tt.TraceError, LookupError, IndexError, ValueError, StopIteration) as e:
        print(f"lab_check.py: error: {name}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"{name}: {'all claims hold' if failures == 0 else f'{failures} claim(s) FAILED'}")
    sys.exit(0 if failures == 0 else 1)


if __name__ == "__main__":
    main()
