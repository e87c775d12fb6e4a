// The axe check every browser test uses for accessibility: WCAG 2 A and AA rules, failing on
// serious or critical violations.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, type TestInfo } from "@playwright/test";

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const BLOCKING_IMPACTS = new Set(["serious", "critical"]);

type AxeViolation = Awaited<ReturnType<AxeBuilder["analyze"]>>["violations"][number];

function describeViolation(violation: AxeViolation): string {
  const nodes = violation.nodes.map((node) => {
    const target = node.target.map(String).join(" ");
    const summary = node.failureSummary?.replaceAll("\n", "\n      ") ?? "";

    return `    at ${target}\n      ${summary}`;
  });

  return [`  [${violation.impact}] ${violation.id}: ${violation.help}`, `    ${violation.helpUrl}`, ...nodes].join("\n");
}

/**
 * Runs axe on the page as it is now. Fails on serious or critical violations, lists every
 * violation, minor ones included, in the failure message, and attaches them to the test report.
 */
export async function expectNoSeriousViolations(page: Page, testInfo: TestInfo, pageName: string): Promise<void> {
  // NOTE: Right after a server action that calls revalidatePath, a page was seen without its
  // <title> for about 0.4 s while Next.js 16.5 applied the refreshed tree, and axe then reported
  // document-title. A page that never gets a title still fails here.
  await expect(page, `document title of ${pageName}`).not.toHaveTitle("");
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  expect(results.passes.length, `axe ran no rules on ${pageName}`).toBeGreaterThan(0);
  const blocking = results.violations.filter((violation) => BLOCKING_IMPACTS.has(violation.impact ?? ""));

  if (results.violations.length > 0) {
    await testInfo.attach(`axe violations on ${pageName}`, {
      body: JSON.stringify(results.violations, null, 2),
      contentType: "application/json",
    });
  }
  const report = results.violations.map(describeViolation).join("\n");
  expect(
    blocking.map((violation) => violation.id),
    `axe on ${pageName} (${page.url()}) found:\n${report}`,
  ).toEqual([]);
}
