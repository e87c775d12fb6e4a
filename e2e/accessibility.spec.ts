import { expectNoSeriousViolations } from "./axe";
import { approveRequest, createApprovedGrant, createRequest, expect, openActiveGrant, RESOURCES, test, uniqueTag } from "./fixtures";

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
