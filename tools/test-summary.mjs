// Prints vitest's JSON report as one plain closing line: "N passed, N failed[, N skipped]".
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "dist/test-results.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch {
  console.log("0 passed, 1 failed");
  console.error(`test summary: no report at ${file} (vitest did not finish)`);
  process.exit(0);
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests}` +
    ` failed${skipped ? `, ${skipped} skipped` : ""}`,
);
