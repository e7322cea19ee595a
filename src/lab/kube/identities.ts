// The identities the test API server knows: one admin, and the controller and speaker as their
// ServiceAccounts would authenticate, so RBAC granted to those ServiceAccounts applies to them.
import { randomBytes } from "node:crypto";

export const RUNTIME_NAMESPACE = "metallb-system";

export interface Identity {
  name: "admin" | "controller" | "speaker";
  user: string;
  groups: string[];
  token: string;
}

const saUser = (sa: string) => `system:serviceaccount:${RUNTIME_NAMESPACE}:${sa}`;
const saGroups = ["system:serviceaccounts", `system:serviceaccounts:${RUNTIME_NAMESPACE}`];

export function makeIdentities(): Identity[] {
  const token = () => randomBytes(24).toString("hex");
  return [
    { name: "admin", user: "metallb-ts:admin", groups: ["system:masters"], token: token() },
    { name: "controller", user: saUser("controller"), groups: saGroups, token: token() },
    { name: "speaker", user: saUser("speaker"), groups: saGroups, token: token() },
  ];
}

/** kube-apiserver --token-auth-file format: token,user,uid,"group1,group2". */
export function tokenFile(ids: Identity[]): string {
  return ids.map((i) => `${i.token},${i.user},${i.user},"${i.groups.join(",")}"`).join("\n") + "\n";
}

export function kubeconfig(
  server: string,
  caPem: string,
  id: Pick<Identity, "token"> & { name: string },
): string {
  const ca = Buffer.from(caPem).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: lab`,
    `  cluster: {server: "${server}", certificate-authority-data: ${ca}}`,
    "users:",
    `- name: ${id.name}`,
    `  user: {token: ${id.token}}`,
    "contexts:",
    `- name: ${id.name}`,
    `  context: {cluster: lab, user: ${id.name}}`,
    `current-context: ${id.name}`,
    "",
  ].join("\n");
}
