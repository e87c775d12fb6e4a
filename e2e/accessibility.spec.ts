import AxeBuilder from "@axe-core/playwright";
import type { Page, TestInfo } from "@playwright/test";

import { approveRequest, createApprovedGrant, createRequest, expect, openActiveGrant, RESOURCES, test, uniqueTag } from "./fixtures";

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
 * Runs axe with the WCAG 2 A and AA rules on the page as it is now. Fails on serious or critical
 * violations and lists every violation, minor ones included, in the failure message.
 */
async function expectNoSeriousViolations(page: Page, testInfo: TestInfo, pageName: string): Promise<void> {
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

test.describe("accessibility", () => {
  test("sign-in page", async ({ page }, testInfo) => {
    await page.goto("/sign-in");
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "sign-in");

    await page.getByLabel("Email", { exact: true }).fill("nobody@acme-logistics.example");
    await page.getByLabel("Password", { exact: true }).fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByText("The email or password is incorrect.")).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "sign-in with an error");
  });

  test("vendor request pages", async ({ vendorPage: page }, testInfo) => {
    await page.goto("/requests/new");
    await expect(page.getByRole("heading", { level: 1, name: "New access request" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "new request");

    await page.getByRole("button", { name: "Send request", exact: true }).click();
    await expect(page.getByText("Some fields need attention; see the messages beside them.")).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "new request with field errors");

    const requestId = await createRequest(page, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      justification: `Accessibility check e2e-${uniqueTag()}`,
    });
    await expectNoSeriousViolations(page, testInfo, "request (pending, requester)");

    await page.getByRole("button", { name: "Cancel request", exact: true }).click();
    await expect(page.getByRole("dialog", { name: "Cancel this request?" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "cancel request dialog");
    await page.getByRole("button", { name: "Keep it", exact: true }).click();

    await page.goto("/requests");
    await expect(page.getByRole("link", { name: RESOURCES.warehouse }).first()).toBeVisible();
    await expect(page.locator(`a[href="/requests/${requestId}"]`)).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "my requests");
  });

  test("approver pages", async ({ vendorPage, approverPage: page }, testInfo) => {
    const tag = uniqueTag();
    const requestId = await createRequest(vendorPage, {
      resource: RESOURCES.fileExchange,
      accessLevel: "read-write",
      justification: `Accessibility review e2e-${tag}`,
    });

    await page.goto("/reviews");
    await expect(page.getByRole("row", { name: new RegExp(`e2e-${tag}`) })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "review queue");

    await page.goto(`/requests/${requestId}`);
    await expect(page.getByRole("heading", { name: "Your review", exact: true })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "request (pending, approver)");

    await approveRequest(page, requestId, `Approved for the accessibility check e2e-${tag}`);
    await expectNoSeriousViolations(page, testInfo, "request (approved)");

    await page.goto("/grants");
    await expect(page.getByRole("heading", { level: 1, name: "Grants" })).toBeVisible();
    await expect(page.getByRole("row").filter({ hasText: RESOURCES.fileExchange }).first()).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "grants");

    // The holder's grant page with the file exchange, a file and a download link.
    await openActiveGrant(vendorPage, requestId);
    await vendorPage.getByLabel("File", { exact: true }).setInputFiles({ name: `a11y-${tag}.txt`, mimeType: "text/plain", buffer: Buffer.from(`accessibility ${tag}\n`) });
    await vendorPage.getByRole("button", { name: "Upload", exact: true }).click();
    const row = vendorPage.getByRole("row").filter({ hasText: `a11y-${tag}.txt` });
    await row.getByRole("button", { name: "Get link", exact: true }).click();
    await expect(row.getByRole("link", { name: `Download a11y-${tag}.txt` })).toBeVisible();
    await expectNoSeriousViolations(vendorPage, testInfo, "grant (file exchange)");
  });

  test("database grant page", async ({ vendorPage: page, approverPage }, testInfo) => {
    await createApprovedGrant(page, approverPage, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      justification: `Accessibility of credentials e2e-${uniqueTag()}`,
    });
    await expect(page.getByRole("heading", { name: "Database login", exact: true })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "grant (database, before password)");

    await page.getByRole("button", { name: "Create password", exact: true }).click();
    await expect(page.getByRole("region", { name: "Database password" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "grant (database, password shown)");

    await page.goto("/grants");
    await expect(page.getByRole("heading", { level: 1, name: "Grants" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "grants (vendor)");
  });

  test("audit log", async ({ adminPage: page }, testInfo) => {
    await page.goto("/admin/audit");
    await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
    await expect(page.getByText("Chain verified")).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "audit log");
  });
});
