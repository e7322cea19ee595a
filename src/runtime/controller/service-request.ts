// A Service (as the API server returns it) → what the allocator needs, or why it cannot be
// served. Pure: the reconciler supplies the namespace labels and the configured class.
import type { V1Service } from "@kubernetes/client-node";
import { parseIp, type Family, type Ip } from "../../api/formats/ip.js";
import type { FamilyPolicy, ServiceRequest } from "./allocator/allocator.js";
import type { Labels } from "../../api/formats/label-selector.js";
import { ENVOY_GATEWAY_LABEL } from "../../api/gateway.js";
import { ANNOTATION, DEPRECATED_ANNOTATION_PREFIX } from "../../api/service.js";
import { notOurs, serviceKey } from "../../model/index.js";

export type ServiceVerdict =
  | { kind: "ignore"; why: string }
  | { kind: "invalid"; message: string; warnings: string[] }
  | { kind: "request"; request: ServiceRequest; warnings: string[] };

function annotation(
  annotations: Record<string, string>,
  name: string,
  warnings: string[],
): string | undefined {
  // An empty value means "not set", as upstream reads it: templates often emit the key empty.
  const value = (n: string) => (annotations[n]?.trim() ? annotations[n] : undefined);
  const current = value(name);
  const legacyName = DEPRECATED_ANNOTATION_PREFIX + name.split("/")[1];
  const legacy = value(legacyName);
  if (legacy !== undefined && current === undefined) {
    warnings.push(`annotation ${legacyName} is deprecated; use ${name}`);
    return legacy;
  }
  return current;
}

const selectorKey = (selector: Record<string, string> | undefined): string =>
  Object.entries(selector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** The Gateway whose generated Service this is (Envoy Gateway's labels), if any. */
export function gatewayOf(
  labels: Record<string, string> | undefined,
): { namespace: string; name: string } | undefined {
  const name = labels?.[ENVOY_GATEWAY_LABEL.name];
  const namespace = labels?.[ENVOY_GATEWAY_LABEL.namespace];
  return name && namespace ? { namespace, name } : undefined;
}

export function toRequest(
  svc: V1Service,
  namespaceLabels: Labels,
  lbClass?: string,
): ServiceVerdict {
  const ignored = notOurs(svc, lbClass);
  if (ignored) return { kind: "ignore", why: ignored };
  const spec = svc.spec ?? {};
  const meta = svc.metadata ?? {};
  const warnings: string[] = [];
  const annotations = meta.annotations ?? {};
  const ipsText = annotation(annotations, ANNOTATION.loadBalancerIPs, warnings);
  const invalid = (message: string): ServiceVerdict => ({ kind: "invalid", message, warnings });

  if (ipsText !== undefined && spec.loadBalancerIP) {
    return invalid(
      `both ${ANNOTATION.loadBalancerIPs} and spec.loadBalancerIP are set; keep only the annotation`,
    );
  }
  // A Gateway's spec.addresses reach its Service as externalIPs (Envoy Gateway's mapping): for
  // a Gateway's own Service they are its load-balancer request, unless it asks otherwise.
  const gateway = gatewayOf(meta.labels);
  const fromGateway =
    ipsText === undefined && !spec.loadBalancerIP && gateway && spec.externalIPs?.length;
  const requestedText =
    ipsText !== undefined
      ? ipsText.split(",").map((s) => s.trim())
      : spec.loadBalancerIP
        ? [spec.loadBalancerIP]
        : fromGateway
          ? spec.externalIPs!
          : [];
  const source = fromGateway
    ? `Gateway ${gateway.namespace}/${gateway.name}'s spec.addresses (the Service's spec.externalIPs)`
    : "requested";
  const requestedIps: Ip[] = [];
  for (const text of requestedText) {
    const ip = parseIp(text);
    if (!ip) return invalid(`${source} address "${text}" is not an IP address`);
    requestedIps.push(ip);
  }
  if (new Set(requestedIps.map((i) => i.family)).size !== requestedIps.length) {
    return invalid(
      `${source} addresses ${requestedText.join(",")} hold more than one address of a family`,
    );
  }

  const families: Family[] = (spec.ipFamilies?.length ? spec.ipFamilies : ["IPv4"]).map((f) =>
    f === "IPv6" ? 6 : 4,
  );
  const familyPolicy = (spec.ipFamilyPolicy ?? "SingleStack") as FamilyPolicy;
  const pool = annotation(annotations, ANNOTATION.addressPool, warnings);
  const sharingKey = annotation(annotations, ANNOTATION.allowSharedIp, warnings);
  return {
    kind: "request",
    warnings,
    request: {
      key: serviceKey(svc),
      namespace: meta.namespace ?? "default",
      labels: meta.labels ?? {},
      namespaceLabels,
      families,
      familyPolicy,
      requestedIps,
      ...(fromGateway ? { requestedBy: source } : {}),
      ...(pool ? { pool } : {}),
      ...(sharingKey ? { sharingKey } : {}),
      ports: (spec.ports ?? []).map((p) => ({ protocol: p.protocol ?? "TCP", port: p.port })),
      trafficPolicy: spec.externalTrafficPolicy === "Local" ? "Local" : "Cluster",
      selectorKey: selectorKey(spec.selector),
    },
  };
}
