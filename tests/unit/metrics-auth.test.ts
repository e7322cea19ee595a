// The metrics endpoint's protection, fast: the authenticator's verdicts and memory against a
// recording review API (the real TokenReview/SubjectAccessReview path runs against the API
// server in tests/kube/controller-table.test.ts), and the self-signed certificate against a real
// TLS handshake that checks it.
import { X509Certificate } from "node:crypto";
import { get } from "node:https";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  MetricsAuthenticator,
  type ReviewApi,
  type ReviewedUser,
} from "../../src/runtime/http/metrics-auth.js";
import { listen } from "../../src/runtime/http/server.js";
import { selfSigned } from "../../src/runtime/http/self-signed.js";
import { quietLog } from "./fakes/kube.js";

class Reviews implements ReviewApi {
  asked = 0;
  down = false;
  constructor(private readonly users: Record<string, { name: string; allowed: boolean }>) {}
  authenticate(token: string): Promise<ReviewedUser | undefined> {
    this.asked++;
    if (this.down) return Promise.reject(new Error("connect ECONNREFUSED"));
    const u = this.users[token];
    return Promise.resolve(u ? { username: u.name } : undefined);
  }
  authorize(user: ReviewedUser): Promise<boolean> {
    return Promise.resolve(
      Object.values(this.users).some((u) => u.name === user.username && u.allowed),
    );
  }
}

describe("MetricsAuthenticator", () => {
  const users = { good: { name: "prom", allowed: true }, weak: { name: "dev", allowed: false } };

  it("401 without a token or with an unknown one, 403 for a user without the grant, else allowed", async () => {
    const a = new MetricsAuthenticator(new Reviews(users), quietLog);
    expect(await a.check(undefined, "/metrics")).toMatchObject({ allowed: false, status: 401 });
    expect(await a.check("Basic abc", "/metrics")).toMatchObject({ allowed: false, status: 401 });
    expect(await a.check("Bearer nope", "/metrics")).toMatchObject({ allowed: false, status: 401 });
    expect(await a.check("Bearer weak", "/metrics")).toMatchObject({
      allowed: false,
      status: 403,
      reason: expect.stringMatching(/dev may not get \/metrics/) as string,
    });
    expect(await a.check("Bearer good", "/metrics")).toEqual({ allowed: true, user: "prom" });
  });

  it("asks once a minute per token, and keeps serving a recent caller while the API server is away", async () => {
    const clock = { ms: 0 };
    const r = new Reviews(users);
    const a = new MetricsAuthenticator(r, quietLog, () => clock.ms);
    for (let i = 0; i < 10; i++) await a.check("Bearer good", "/metrics");
    expect(r.asked).toBe(1);
    clock.ms += 61_000;
    r.down = true;
    expect(await a.check("Bearer good", "/metrics")).toEqual({ allowed: true, user: "prom" });
    // Unknown callers are not let in by an outage, and nobody is after 15 minutes of it.
    expect(await a.check("Bearer weak", "/metrics")).toMatchObject({ status: 503 });
    clock.ms += 15 * 60_000;
    expect(await a.check("Bearer good", "/metrics")).toMatchObject({ status: 503 });
  });
});

describe("selfSigned", () => {
  it("never makes a certificate OpenSSL refuses (random serials: 2,000 starts)", () => {
    // A serial starting 0x00 0x00–0x7f is not minimal DER; it once failed 1 start in 256.
    for (let i = 0; i < 2000; i++) expect(() => selfSigned(["n1"])).not.toThrow();
  });

  it("makes a certificate a TLS client verifies for the names it lists", async () => {
    const tls = selfSigned(["metallb-ts-test", "127.0.0.1", "::1"]);
    const cert = new X509Certificate(tls.cert);
    expect(cert.subjectAltName).toBe(
      "DNS:metallb-ts-test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
    expect(cert.ca).toBe(false);
    const server = await listen(0, { "/x": () => ({ status: 200, body: "ok" }) }, tls);
    try {
      const { port } = server.address() as AddressInfo;
      const fetchWith = (host: string, servername?: string) =>
        new Promise<string>((resolve, reject) =>
          get(
            { host, port, path: "/x", ca: tls.cert, ...(servername ? { servername } : {}) },
            (res) => {
              let body = "";
              res.on("data", (c: Buffer) => (body += c.toString()));
              res.on("end", () => resolve(body));
            },
          ).on("error", reject),
        );
      expect(await fetchWith("127.0.0.1")).toBe("ok");
      await expect(fetchWith("127.0.0.1", "other.example")).rejects.toThrow(/altnames/);
    } finally {
      server.close();
    }
  });
});
