// Who may read /metrics, decided by the API server as controller-runtime's secure metrics do: the
// bearer token goes to a TokenReview, the user it names to a SubjectAccessReview for `get` on the
// non-resource URL /metrics. Verdicts are remembered for a minute per token (Prometheus scrapes
// every few seconds), and the memory is bounded; while the API server cannot be reached, a caller
// allowed in the last 15 minutes keeps being served.
import { createHash } from "node:crypto";
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { apiClient } from "../kube/api-client.js";
import type { Logger } from "../log.js";

export type Verdict =
  { allowed: true; user: string } | { allowed: false; status: 401 | 403 | 503; reason: string };

/** The questions the authenticator asks the API server (narrow, so tests can see them). */
export interface ReviewApi {
  /** The user a token belongs to, or undefined when it is not valid. */
  authenticate(token: string): Promise<ReviewedUser | undefined>;
  /** Whether the user may `get` the path. */
  authorize(user: ReviewedUser, path: string): Promise<boolean>;
}

export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export function kubeReviews(kc: KubeConfig): ReviewApi {
  const authn = apiClient(kc, AuthenticationV1Api);
  const authz = apiClient(kc, AuthorizationV1Api);
  return {
    async authenticate(token) {
      const r = await authn.createTokenReview({ body: { spec: { token } } });
      const u = r.status?.user;
      if (!r.status?.authenticated || !u?.username) return undefined;
      return {
        username: u.username,
        ...(u.uid ? { uid: u.uid } : {}),
        ...(u.groups ? { groups: u.groups } : {}),
        ...(u.extra ? { extra: u.extra } : {}),
      };
    },
    async authorize(user, path) {
      const r = await authz.createSubjectAccessReview({
        body: {
          spec: {
            user: user.username,
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.groups ? { groups: user.groups } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
            nonResourceAttributes: { path, verb: "get" },
          },
        },
      });
      return r.status?.allowed === true;
    },
  };
}

const TTL_MS = 60_000;
/**
 * While the API server cannot be asked, a caller it allowed within this long stays allowed: an
 * API server outage is when the metrics matter most.
 */
const STALE_OK_MS = 15 * 60_000;
const REMEMBERED = 1_000;

export class MetricsAuthenticator {
  /** Verdicts by token hash (never the token itself), oldest first. */
  private readonly cache = new Map<string, { verdict: Verdict; until: number }>();

  constructor(
    private readonly reviews: ReviewApi,
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The verdict on a request's Authorization header for `path`. */
  async check(authorization: string | undefined, path: string): Promise<Verdict> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (!token)
      return {
        allowed: false,
        status: 401,
        reason: "send a ServiceAccount token as `Authorization: Bearer <token>`",
      };
    const key = createHash("sha256").update(path).update("\0").update(token).digest("hex");
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.verdict;
    const verdict = await this.review(token, path);
    if (!verdict.allowed && verdict.status === 503 && hit?.verdict.allowed)
      if (this.now() - (hit.until - TTL_MS) < STALE_OK_MS) return hit.verdict;
    // An API server that could not be asked is not a verdict on the token: ask again next time.
    if (verdict.allowed || verdict.status !== 503) {
      this.cache.delete(key);
      this.cache.set(key, { verdict, until: this.now() + TTL_MS });
      for (const old of this.cache.keys()) {
        if (this.cache.size <= REMEMBERED) break;
        this.cache.delete(old);
      }
    }
    return verdict;
  }

  private async review(token: string, path: string): Promise<Verdict> {
    try {
      const user = await this.reviews.authenticate(token);
      if (!user) return { allowed: false, status: 401, reason: "the token is not valid" };
      if (!(await this.reviews.authorize(user, path)))
        return {
          allowed: false,
          status: 403,
          reason: `${user.username} may not get ${path}: bind it to a ClusterRole allowing get on the non-resource URL ${path} (the chart's <release>-metrics-reader)`,
        };
      return { allowed: true, user: user.username };
    } catch (err) {
      this.log.warn("could not review a metrics request with the API server", {
        error: String(err),
      });
      return {
        allowed: false,
        status: 503,
        reason: "the API server could not be asked who this is; try again",
      };
    }
  }
}
