// Whether a node may announce at all (pure): its speaker is alive, it does not carry the
// exclusion label, and its network is available. Layer 2 election and BGP both ask this.
import type { V1Node } from "@kubernetes/client-node";
import type { Labels } from "../../api/formats/label-selector.js";
import { EXCLUDE_LABEL } from "../../api/service.js";

export interface NodeFacts {
  name: string;
  labels: Labels;
  /** The node's NetworkUnavailable condition is True. */
  networkUnavailable: boolean;
}

export function nodeFacts(node: V1Node): NodeFacts {
  return {
    name: node.metadata?.name ?? "",
    labels: node.metadata?.labels ?? {},
    networkUnavailable: (node.status?.conditions ?? []).some(
      (c) => c.type === "NetworkUnavailable" && c.status === "True",
    ),
  };
}

/** Why the node may not announce anything at all, or undefined. */
export function nodeExclusion(node: NodeFacts, live: ReadonlySet<string>): string | undefined {
  if (!live.has(node.name)) return "its speaker is not alive";
  if (Object.hasOwn(node.labels, EXCLUDE_LABEL)) return `it carries ${EXCLUDE_LABEL}`;
  if (node.networkUnavailable) return "its NetworkUnavailable condition is True";
  return undefined;
}
