// One ajv instance that knows the Kubernetes schema extensions, for offline checks of manifests
// and values files against schemas generated from src/api.
import {
  Ajv,
  type ErrorObject,
  type SchemaValidateFunction,
  type Options,
  type Plugin,
  type ValidateFunction,
} from "ajv";
import { duplicateItems } from "../../api/schema/list-type.js";
import formatsModule from "ajv-formats";

/** Annotations ajv accepts and leaves to other checks (the CEL rules: config-check.ts). */
const KUBERNETES_KEYWORDS = [
  "x-kubernetes-validations",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-int-or-string",
];

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module namespace.
const addFormats = (formatsModule as unknown as { default: Plugin<unknown> }).default;

/** `verbose` adds the failing schema to each error (for messages that quote its description). */
export function makeAjv(options: Pick<Options, "verbose"> = {}): Ajv {
  // validate checks a few dozen objects once per process, so compile time is what counts: code
  // without ajv's optimisation pass and with shared (not inlined) references compiles the
  // vendored Kubernetes schemas in a third of the time (bench/validate.script.ts).
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    inlineRefs: false,
    code: { optimize: false },
    ...options,
  });
  addFormats(ajv);
  for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword(keyword);
  ajv.addKeyword({
    keyword: "x-kubernetes-list-type",
    type: "array",
    schemaType: "string",
    errors: true,
    validate: listType,
  });
  return ajv;
}

/**
 * The API server refuses a list of type `set` with a repeated item, and a list of type `map`
 * with two entries for one key: each repeat is an error at its own index.
 */
const listType: SchemaValidateFunction = function (type, data, parentSchema, cxt) {
  const keys = (parentSchema as { "x-kubernetes-list-map-keys"?: string[] } | undefined)?.[
    "x-kubernetes-list-map-keys"
  ];
  const repeats = duplicateItems(String(type), data as unknown[], keys ?? []);
  listType.errors = repeats.map((r): Partial<ErrorObject> => ({
    keyword: "x-kubernetes-list-type",
    instancePath: `${cxt?.instancePath ?? ""}/${r.index}`,
    message: r.message,
    params: { listType: type as string, first: r.first, keys: r.keys },
  }));
  return repeats.length === 0;
};

/** "path message" lines for a failed validation, empty when valid. */
export function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`,
  );
}
