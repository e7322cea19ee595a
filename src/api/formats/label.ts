// Kubernetes label keys and values as the API server accepts them (metadata.labels, nodeSelector,
// matchLabels): a key is an optional DNS-subdomain prefix and "/", then a name of at most 63
// characters; a value is empty or such a name.

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const nameProblem = (what: string, name: string): string | undefined => {
  if (!name) return `${what} is empty`;
  if (name.length > 63) return `${what} is longer than 63 characters`;
  if (!NAME.test(name))
    return `${what} may hold only letters, digits, "-", "_" and "." and must start and end with a letter or digit`;
  return undefined;
};

/** Why `key` is not a valid label key, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  if (slash < 0) return nameProblem(`label key ${JSON.stringify(key)}`, key);
  const prefix = key.slice(0, slash);
  if (!prefix || prefix.length > 253 || !SUBDOMAIN.test(prefix))
    return `label key ${JSON.stringify(key)}: the prefix before "/" must be a lowercase DNS subdomain`;
  return nameProblem(`label key ${JSON.stringify(key)}: the name after "/"`, key.slice(slash + 1));
}

/** Why `value` is not a valid label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  return value === "" ? undefined : nameProblem(`label value ${JSON.stringify(value)}`, value);
}
