// A BGP peer that misbehaves on purpose, for the backpressure tests and the refresh-flood
// benchmark: a small TCP server (AS 64513) that completes the OPEN exchange and then reads what
// it is sent, stops reading, or stops reading and floods ROUTE-REFRESH requests.
import { createServer, type Server, type Socket } from "node:net";
import { Framer, MessageType } from "../runtime/bgp/codec/header.js";
import { KEEPALIVE } from "../runtime/bgp/codec/message.js";
import { encodeOpen } from "../runtime/bgp/codec/open.js";
import { encodeRouteRefresh } from "../runtime/bgp/codec/route-refresh.js";

export type PeerBehaviour = "reads" | "stalls" | "floods";

export interface MisbehavingPeer {
  readonly port: number;
  /** ROUTE-REFRESH messages sent so far. */
  readonly sent: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (an ephemeral port) and behaves as told once Established. */
export async function misbehavingPeer(behaviour: PeerBehaviour): Promise<MisbehavingPeer> {
  const server: Server = createServer();
  const sockets: Socket[] = [];
  let sent = 0;
  server.on("connection", (sock) => {
    sockets.push(sock);
    sock.on("error", () => undefined);
    sock.write(
      encodeOpen({
        type: "open",
        version: 4,
        myAs: 64513,
        holdTime: 90,
        bgpId: 0xc0000202,
        capabilities: [
          { kind: "multiprotocol", afi: 1, safi: 1 },
          { kind: "routeRefresh" },
          { kind: "fourOctetAs", asn: 64513 },
        ],
      }),
    );
    const framer = new Framer();
    let established = false;
    sock.on("data", (chunk: Buffer) => {
      for (const m of framer.push(chunk)) {
        const type = m[18];
        if (type === MessageType.Open) sock.write(KEEPALIVE);
        if (type !== MessageType.Keepalive || established) continue;
        established = true;
        if (behaviour === "reads") continue;
        sock.pause();
        if (behaviour !== "floods") continue;
        const flood = setInterval(() => {
          if (sock.destroyed) return clearInterval(flood);
          for (let i = 0; i < 50; i++)
            sock.write(encodeRouteRefresh({ afi: 1, safi: 1, subtype: 0 }));
          sent += 50;
        }, 5);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get sent() {
      return sent;
    },
    async close() {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    },
  };
}
