// Run inside a lab namespace by tcp-md5.test.ts: tries TCP connections under RFC 2385 keys and
// prints one JSON object {case: outcome}. Usage:
//   tcp-md5-probe.ts local  <address>            server and clients on one address
//   tcp-md5-probe.ts remote <host> <port> <key>  one client; reports the first bytes received
import { createServer, type Socket } from "node:net";
import { connectTcp, setTcpMd5 } from "../../src/runtime/native/index.js";

const [mode, a, b, c] = process.argv.slice(2);

function outcome(socket: Socket, waitBytes: boolean): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("timeout");
    }, 3000);
    const done = (r: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    socket.once("error", (err: Error & { code?: string }) =>
      done(`error ${err.code ?? err.message}`),
    );
    if (waitBytes)
      socket.once("data", (d: Buffer) => done(`data ${d.subarray(0, 19).toString("hex")}`));
    else socket.once("connect", () => done("connected"));
  });
}

if (mode === "local" && a) {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(1790, a, r));
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  setTcpMd5(fd, a, "right-key");
  const result: Record<string, string> = {};
  for (const [name, key] of [
    ["matching", "right-key"],
    ["mismatched", "wrong-key"],
  ] as const)
    result[name] = await outcome(connectTcp({ host: a, port: 1790, md5Key: key }), false);
  const { connect } = await import("node:net");
  result.unsigned = await outcome(connect(1790, a), false);
  // A key of arbitrary octets (a Secret's bytes): a NUL inside and bytes that are not UTF-8. Only
  // the whole key matches; the part before the NUL (what a C string would keep) does not.
  const octets = Buffer.from([0x6b, 0x00, 0xff, 0xfe, 0x01, 0x80, 0x6b]);
  await new Promise<void>((r) => server.close(() => r()));
  const binary = createServer((s) => s.destroy());
  await new Promise<void>((r) => binary.listen(1791, a, r));
  const bfd = (binary as unknown as { _handle: { fd: number } })._handle.fd;
  setTcpMd5(bfd, a, octets);
  result.octets = await outcome(
    connectTcp({ host: a, port: 1791, md5Key: Buffer.from(octets) }),
    false,
  );
  result.truncatedAtNul = await outcome(
    connectTcp({ host: a, port: 1791, md5Key: octets.subarray(0, 1) }),
    false,
  );
  binary.close();
  console.log(JSON.stringify(result));
} else if (mode === "remote" && a && b && c !== undefined) {
  console.log(
    JSON.stringify({
      outcome: await outcome(connectTcp({ host: a, port: Number(b), md5Key: c }), true),
    }),
  );
} else {
  console.error("usage: tcp-md5-probe.ts local <address> | remote <host> <port> <key>");
  process.exit(2);
}
