// One ajv instance that knows the Kubernetes schema extensions, for offline checks of manifests
// and values files against schemas generated from src/api.
import { Ajv, type Options, type Plugin, type ValidateFunction } from "ajv";
import formatsModule from "ajv-formats";

const KUBERNETES_KEYWORDS = [
  "x-kubernetes-validations",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-int-or-string",
];

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module namespace.
const addFormats = (formatsModule as unknown as { default: Plugin<unknown> }).default;

/** `verbose` adds the failing schema to each error (for messages that quote its description). */
export function makeAjv(options: Pick<Options, "verbose"> = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, ...options });
  addFormats(ajv);
  for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword(keyword);
  return ajv;
}

/** "path message" lines for a failed validation, empty when valid. */
export function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`,
  );
}
