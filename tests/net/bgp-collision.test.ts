// RFC 4271 §6.8 between two of our speakers that both connect and both listen. Packet filters
// make the collision certain: SYNs are held until both sides have a connection attempt under
// way, then KEEPALIVEs are held until both sides have both connections in OpenConfirm — so the
// BGP identifiers, not timing, must pick the survivor: the connection opened by the higher one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSpeaker, type LabSpeaker } from "../../src/lab/net/bgp-speaker.js";
import { Lab } from "../../src/lab/net/index.js";
import { waitFor } from "../../src/sys/proc.js";

const HIGH = { host: "high" as const, v4: "192.0.2.40", asn: 64601 };
const LOW = { host: "low" as const, v4: "192.0.2.30", asn: 64602 };

const HOLD_SYN = ["INPUT", "-p", "tcp", "--syn", "--dport", "179", "-j", "DROP"];
// Keepalives (19 octets of BGP in 71-octet packets); OPENs are longer, bare ACKs and SYNs shorter.
const HOLD_KEEPALIVE = (port: "--dport" | "--sport") => [
  "OUTPUT",
  "-p",
  "tcp",
  port,
  "179",
  "-m",
  "length",
  "--length",
  "65:79",
  "-j",
  "DROP",
];

describe("connection collision between two speakers (RFC 4271 §6.8)", () => {
  let lab: Lab;
  const s: Record<"high" | "low", LabSpeaker> = {} as never;
  const iptables = (host: string, op: "-A" | "-D", rule: string[]) =>
    lab.exec(host, ["iptables", op, ...rule]);
  const established = async (host: string) =>
    (
      await lab.exec(host, [
        "ss",
        "-tnH",
        "state",
        "established",
        "( sport = :179 or dport = :179 )",
      ])
    )
      .split("\n")
      .filter(Boolean).length;

  beforeAll(async () => {
    lab = await Lab.create({
      segments: ["lan"],
      hosts: [HIGH, LOW].map((h) => ({
        name: h.host,
        links: [{ segment: "lan", addresses: [`${h.v4}/24`] }],
      })),
    });
    for (const h of [HIGH, LOW]) {
      await iptables(h.host, "-A", HOLD_SYN);
      await iptables(h.host, "-A", HOLD_KEEPALIVE("--dport"));
      await iptables(h.host, "-A", HOLD_KEEPALIVE("--sport"));
      s[h.host] = await startSpeaker(lab, h.host, { listen: { port: 179 } });
    }
    for (const [me, other] of [
      [HIGH, LOW],
      [LOW, HIGH],
    ] as const) {
      await s[me.host].addPeer({
        address: other.v4,
        localAsn: me.asn,
        peerAsn: other.asn,
        routerId: me.v4,
        holdTime: 30,
        families: [4],
        // Long enough that each side's first attempt is still pending when the SYNs pass.
        connectRetry: { initialMs: 20_000, maxMs: 20_000 },
      });
    }
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it(
    "both connections open, the collision is resolved by identifier, one session survives",
    { timeout: 240_000 },
    async () => {
      for (const h of [HIGH, LOW]) await iptables(h.host, "-D", HOLD_SYN);
      // The held SYNs pass at their next retransmission, or, if an attempt gave up meanwhile, at
      // the next attempt (connectRetry 20 s): on a loaded machine that is well past 20 s (a CI
      // run waited longer than that once), so the wait allows for both.
      for (const h of [HIGH, LOW]) {
        await s[h.host].waitForEvent("collision", (e) => e.type === "collision", {
          timeoutMs: 60_000,
        });
      }
      for (const h of [HIGH, LOW]) {
        await iptables(h.host, "-D", HOLD_KEEPALIVE("--dport"));
        await iptables(h.host, "-D", HOLD_KEEPALIVE("--sport"));
      }
      const highUp = await s.high.waitForEvent("up", (e) => e.type === "up");
      const lowUp = await s.low.waitForEvent("up", (e) => e.type === "up");
      // The survivor is the connection the higher identifier (192.0.2.40) opened.
      expect(s.high.events.find((e) => e.event.type === "collision")?.event).toMatchObject({
        kept: "outbound",
      });
      expect(s.low.events.find((e) => e.event.type === "collision")?.event).toMatchObject({
        kept: "inbound",
      });
      expect(highUp.event).toMatchObject({ inbound: false });
      expect(lowUp.event).toMatchObject({ inbound: true });
      await waitFor(
        "one TCP connection per side",
        async () =>
          (await established(HIGH.host)) === 1 && (await established(LOW.host)) === 1
            ? true
            : undefined,
        20_000,
        200,
      );
      for (const sp of [s.high, s.low]) {
        expect(sp.events.filter((e) => e.event.type === "up")).toHaveLength(1);
        expect(sp.events.some((e) => e.event.type === "down")).toBe(false);
        expect((await sp.stats())[0]?.state).toBe("Established");
      }
    },
  );
});
