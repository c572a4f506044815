#!/usr/bin/env python3
"""How many legitimate new connections a running kandas service serves during a flood of slow
TLS handshakes. Bounded: it runs for --seconds and stops; it is a measurement, not a test.

The flood keeps --slow TCP connections open, each sending the first bytes of a ClientHello and
then one byte a second (so none finishes before the server's handshake timeout, after which it
is opened again), from --sources loopback addresses (127.0.2.1, 127.0.2.2, ...; Linux routes all
of 127/8 to the loopback). Meanwhile a caller from 127.0.0.1 opens --rate new connections a
second, each a full TLS 1.3 handshake with a client certificate and one grpc.health.v1 Check
over HTTP/2 (written here by hand: standard library only), and counts those answered SERVING.

    kandas serve                       # or the binary under test, with the development PKI
    python3 scripts/handshake_flood.py --addr 127.0.0.1:50051 --certs .kandas/certs \
        --slow 700 --sources 1 --seconds 30

Needs `ulimit -n` above --slow plus a margin.
"""
import argparse
import asyncio
import ssl
import statistics
import struct
import time

# A TLS record header announcing a 512-byte handshake message, and the start of a ClientHello.
HELLO_START = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])


async def slow_handshake(addr, source, stop, counts):
    """One slow handshake, opened again whenever the server closes it."""
    host, port = addr
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.1)
            continue
        counts["opened"] += 1
        try:
            for byte in HELLO_START + bytes(600):
                if stop.is_set():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(1024), timeout=1.0)
                    if not data:
                        break  # closed by the server
                except asyncio.TimeoutError:
                    pass
        except OSError:
            pass
        finally:
            writer.close()
        # As a flood that keeps its connections rather than one that spins on refusals.
        await asyncio.sleep(1.0)


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    """An HPACK literal header field without indexing, new name, no Huffman coding."""
    def length(n):
        if n < 127:
            return bytes([n])
        out, n = [127], n - 127
        while n >= 128:
            out.append((n % 128) + 128)
            n //= 128
        return bytes(out + [n])
    return b"\x00" + length(len(name)) + name + length(len(value)) + value


CHECK_HEADERS = b"".join(
    literal(k, v)
    for k, v in [
        (b":method", b"POST"),
        (b":scheme", b"https"),
        (b":path", b"/grpc.health.v1.Health/Check"),
        (b":authority", b"localhost"),
        (b"content-type", b"application/grpc"),
        (b"te", b"trailers"),
    ]
)


async def health_check(addr, context, deadline):
    """A new connection, a handshake and one Check: True when answered SERVING."""
    host, port = addr
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            host, port, ssl=context, server_hostname="localhost", local_addr=("127.0.0.1", 0)
        ),
        timeout=deadline,
    )
    try:
        writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0))
        writer.write(frame(0x1, 0x4, 1, CHECK_HEADERS))
        writer.write(frame(0x0, 0x1, 1, b"\x00\x00\x00\x00\x00"))
        await writer.drain()
        serving = False
        while True:
            head = await asyncio.wait_for(reader.readexactly(9), timeout=deadline)
            size = int.from_bytes(head[:3], "big")
            kind, flags, stream = head[3], head[4], int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
            payload = await asyncio.wait_for(reader.readexactly(size), timeout=deadline)
            if kind == 0x4 and not flags & 0x1:
                writer.write(frame(0x4, 0x1, 0))  # acknowledge the server's SETTINGS
            elif kind == 0x0 and stream == 1 and payload.endswith(b"\x08\x01"):
                serving = True
            elif kind == 0x3 or kind == 0x7:  # RST_STREAM, GOAWAY
                return False
            if stream == 1 and flags & 0x1:  # END_STREAM: the trailers
                return serving
    finally:
        writer.close()


async def callers(addr, context, rate, stop, results):
    tasks = []

    async def one():
        start = time.monotonic()
        try:
            ok = await health_check(addr, context, 5.0)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ssl.SSLError):
            ok = False
        results.append((ok, time.monotonic() - start))

    while not stop.is_set():
        tasks.append(asyncio.create_task(one()))
        await asyncio.sleep(1.0 / rate)
    await asyncio.gather(*tasks)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--addr", default="127.0.0.1:50051")
    parser.add_argument("--certs", default=".kandas/certs")
    parser.add_argument("--role", default="psc")
    parser.add_argument("--slow", type=int, default=700, help="slow handshakes kept open")
    parser.add_argument("--sources", type=int, default=1, help="loopback addresses they come from")
    parser.add_argument("--rate", type=float, default=10.0, help="new legitimate connections a second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ramp", type=float, default=8.0, help="seconds of flood before measuring")
    args = parser.parse_args()
    host, port = args.addr.rsplit(":", 1)
    addr = (host, int(port))

    context = ssl.create_default_context(cafile=f"{args.certs}/ca.pem")
    context.load_cert_chain(f"{args.certs}/{args.role}.pem", f"{args.certs}/{args.role}.key")
    context.set_alpn_protocols(["h2"])
    context.minimum_version = ssl.TLSVersion.TLSv1_3

    quiet = []
    await callers(addr, context, args.rate, _after(3.0), quiet)
    stop_flood, stop_callers = asyncio.Event(), asyncio.Event()
    counts = {"opened": 0, "connect_failed": 0}
    sources = [f"127.0.{2 + i // 250}.{1 + i % 250}" for i in range(args.sources)]
    flood = [
        asyncio.create_task(slow_handshake(addr, sources[i % len(sources)], stop_flood, counts))
        for i in range(args.slow)
    ]
    await asyncio.sleep(args.ramp)
    results = []
    timer = asyncio.get_running_loop().call_later(args.seconds, stop_callers.set)
    await callers(addr, context, args.rate, stop_callers, results)
    timer.cancel()
    stop_flood.set()
    await asyncio.gather(*flood, return_exceptions=True)

    served = [t for ok, t in results if ok]
    print(f"flood: {args.slow} slow handshakes from {args.sources} source(s), "
          f"{counts['opened']} connections opened, {counts['connect_failed']} refused at connect")
    print(f"before the flood: {sum(ok for ok, _ in quiet)}/{len(quiet)} served")
    print(f"during the flood: {len(served)}/{len(results)} new connections served "
          f"({100.0 * len(served) / max(len(results), 1):.1f}%)")
    if served:
        served.sort()
        p99 = served[min(len(served) - 1, int(len(served) * 0.99))]
        print(f"  handshake + Check: median {statistics.median(served) * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms")


def _after(seconds):
    event = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, event.set)
    return event


if __name__ == "__main__":
    asyncio.run(main())
