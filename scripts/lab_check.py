#!/usr/bin/env python3
"""lab_check.py: checks what a TCP lab (docs/labs, scripts/lab.sh) says you will see, against the
trace tundra wrote and the programs' logs, and prints each claim with the figures behind it.

  scripts/lab_check.py NAME DIR

Exit status 0 when every claim holds, 1 when one does not, 2 on bad arguments or unreadable input.
"""
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tundra_trace as tt  # noqa: E402

failures = 0


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


def loss_sha_ok(d, log, sink):
    return sha_of(read(os.path.join(d, log)), "sent") == sha_of(read(os.path.join(d, sink)), "received")


def check_loss(d):
    c = tt.load(os.path.join(d, "loss.csv")).main
    ev = c.events
    frs = [i for i, e in enumerate(ev)
           if e.event == "fast_retransmit" and e.detail in ("dupacks", "sack")]
    good, halved, by_sack = 0, 0, 0
    for i in frs:
        dups, j = 0, i - 1
        while j >= 0 and ev[j].event != "fast_retransmit":
            if ev[j].event == "dupack" and ev[j].ack == ev[i].seq:
                dups += 1
            if ev[j].event == "recv" and ev[j].ack is not None and ev[j].ack != ev[i].seq:
                break
            j -= 1
        nxt = next((e for e in ev[i + 1:] if e.event == "send"), None)
        # RFC 5681 3.2: the third duplicate; RFC 6675 5 step 2: sooner, when SACK shows more than
        # two segments' worth above the hole (the trace says "sack").
        needed = 3 if ev[i].detail == "dupacks" else 1
        by_sack += ev[i].detail == "sack"
        if dups >= needed and nxt is not None and nxt.rexmit and nxt.seq == ev[i].seq:
            good += 1
        cw = next((e for e in ev[i:] if e.event == "cwnd"), None)
        if cw and cw.ssthresh is not None and cw.ssthresh <= 0.75 * ev[i].inflight + 1:
            halved += 1
    claim(frs and good == len(frs),
          "every fast retransmit follows three duplicate ACKs (or fewer, once SACK shows three "
          "segments' worth beyond the hole) and resends the segment they ask for",
          f"{len(frs)} fast retransmits: {len(frs) - by_sack} on the third duplicate ACK, "
          f"{by_sack} sooner on SACK (RFC 6675 5); {good} checked")
    claim(frs and halved == len(frs), "each one lowers ssthresh to about half of what was in flight",
          f"{halved} of {len(frs)}")
    rex = tt.retransmissions(c)
    claim(loss_sha_ok(d, "bulk.log", "kernel-sink.log"),
          "despite the losses every byte arrived (sha256 equal at both ends)",
          f"{len(rex)} segments resent ({sum(s.len for s in rex) // 1024} KiB), "
          f"{len(c.of('dupack'))} duplicate ACKs, {len(c.of('rto'))} timeouts")

    t = tt.load(os.path.join(d, "timeout.csv")).main
    ev = t.events
    mss = mss_of(t)
    rtos = [i for i, e in enumerate(ev) if e.event == "rto"]
    claim(len(rtos) >= 1, "at 20% loss the retransmission timer fires",
          f"{len(rtos)} timeouts, {len(t.of('fast_retransmit'))} fast retransmits")
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
