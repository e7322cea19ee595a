// `npm run chart:publish -- oci://registry/path [--version X] [--plain-http]`: pushes
// charts/metallb-ts to an OCI registry (credentials from `helm registry login`) and prints the
// clusters.yaml `chart:` entry that installs it.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { packageVersion } from "../../api/generate/render.js";
import { publishChart } from "./chart.js";

const ROOT = new URL("../../../", import.meta.url).pathname;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { version: { type: "string" }, "plain-http": { type: "boolean" } },
});
const url = positionals[0];
if (!url) {
  console.error(
    "usage: npm run chart:publish -- oci://registry.example.com/charts [--version X] [--plain-http]",
  );
  process.exit(2);
}
const version = values.version ?? packageVersion();
try {
  const p = await publishChart({
    chartDir: join(ROOT, "charts/metallb-ts"),
    version,
    url,
    plainHttp: values["plain-http"],
  });
  console.log(`published ${p.reference} (${p.digest})`);
  console.log(
    `clusters.yaml:\n  chart: { source: oci, url: ${url.replace(/\/+$/, "")}, version: "${version}"${values["plain-http"] ? ", insecure: true" : ""} }`,
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
