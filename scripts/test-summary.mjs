// Prints one closing line for the whole suite, "N passed, N failed, N skipped", from the JSON
// reports of Vitest and Playwright. Missing reports (a step that did not run) count nothing.
import { readFileSync } from "node:fs";

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const [vitestFile, playwrightFile] = process.argv.slice(2);

const vitest = vitestFile ? readJson(vitestFile) : null;
if (vitest) {
  totals.passed += vitest.numPassedTests ?? 0;
  totals.failed += vitest.numFailedTests ?? 0;
  totals.skipped += (vitest.numPendingTests ?? 0) + (vitest.numTodoTests ?? 0);
  console.log(`vitest: ${vitest.numPassedTests} passed, ${vitest.numFailedTests} failed, ${vitest.numPendingTests ?? 0} skipped`);
}

const playwright = playwrightFile ? readJson(playwrightFile) : null;
if (playwright?.stats) {
  const { expected = 0, unexpected = 0, skipped = 0, flaky = 0 } = playwright.stats;
  totals.passed += expected + flaky;
  totals.failed += unexpected;
  totals.skipped += skipped;
  console.log(`playwright: ${expected + flaky} passed, ${unexpected} failed, ${skipped} skipped`);
}

console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
