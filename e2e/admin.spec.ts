import type { Page } from "@playwright/test";

import { expectNoSeriousViolations } from "./axe";
import { createRequest, expect, RESOURCES, test, uniqueTag, USERS } from "./fixtures";

const DEMO_VENDORS = [
  { name: "Acme Logistics", slug: "acme-logistics" },
  { name: "Northwind Analytics", slug: "northwind-analytics" },
] as const;

const ADMIN_PAGES = ["/admin/vendors", "/admin/notifications", "/admin/grants"] as const;

/** Opens `path` and checks that the response is the 404 page. */
async function expectNotFound(page: Page, path: string): Promise<void> {
  const response = await page.goto(path);

  expect(response?.status(), `status of ${path}`).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
}

/** Opens the ExternalId disclosure in the vendor's row, if closed, and returns the ExternalId it shows. */
async function readExternalId(page: Page, vendorName: string): Promise<string> {
  const row = page.getByRole("row").filter({ hasText: vendorName });
  const details = row.locator("details");
  if ((await details.getAttribute("open")) === null) await row.getByText(`Show the ExternalId of ${vendorName}`, { exact: true }).click();

  const externalId = row.locator("details code");
  await expect(externalId).toBeVisible();

  return (await externalId.innerText()).trim();
}

test.describe("admin vendors", () => {
  test("vendors page passes axe", async ({ adminPage: page }, testInfo) => {
    await page.goto("/admin/vendors");
    await expect(page.getByRole("heading", { level: 1, name: "Vendors" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "vendors");

    await readExternalId(page, DEMO_VENDORS[0].name);
    await expectNoSeriousViolations(page, testInfo, "vendors with an ExternalId shown");
  });

  test("vendors page lists demo vendors", async ({ adminPage: page }) => {
    await page.goto("/admin/vendors");

    for (const vendor of DEMO_VENDORS) {
      const row = page.getByRole("row").filter({ hasText: vendor.name });
      await expect(row, `row of ${vendor.name}`).toHaveCount(1);
      await expect(row.getByText(vendor.slug, { exact: true }), `slug of ${vendor.name}`).toBeVisible();
      await expect(row.getByRole("button", { name: `Rotate the ExternalId of ${vendor.name}` })).toBeVisible();
    }
  });

  test("rotate cancel keeps ExternalId", async ({ adminPage: page }) => {
    const vendorName = DEMO_VENDORS[1].name;
    await page.goto("/admin/vendors");
    const before = await readExternalId(page, vendorName);

    await page.getByRole("button", { name: `Rotate the ExternalId of ${vendorName}` }).click();
    const dialog = page.getByRole("dialog", { name: `Rotate the ExternalId of ${vendorName}?` });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
    await expect(dialog).toHaveCount(0);

    await page.reload();
    expect(await readExternalId(page, vendorName)).toBe(before);
  });

  test("rotate confirm changes ExternalId", async ({ adminPage: page }, testInfo) => {
    const vendorName = DEMO_VENDORS[1].name;
    const otherVendorName = DEMO_VENDORS[0].name;
    await page.goto("/admin/vendors");
    const before = await readExternalId(page, vendorName);
    const otherBefore = await readExternalId(page, otherVendorName);

    await page.getByRole("button", { name: `Rotate the ExternalId of ${vendorName}` }).click();
    const dialog = page.getByRole("dialog", { name: `Rotate the ExternalId of ${vendorName}?` });
    await expect(dialog).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "rotate ExternalId dialog");
    await dialog.getByRole("button", { name: "Rotate ExternalId", exact: true }).click();
    await expect(dialog).toHaveCount(0);

    // The row may update only after the dialog has closed, so wait for the value to change.
    const row = page.getByRole("row").filter({ hasText: vendorName });
    await expect(row.locator("details code")).not.toHaveText(before);
    const afterRefresh = await readExternalId(page, vendorName);
    await page.reload();
    const afterReload = await readExternalId(page, vendorName);

    expect(afterReload).not.toBe(before);
    expect(afterReload, "value shown right after the rotation").toBe(afterRefresh);
    expect(await readExternalId(page, otherVendorName), `ExternalId of ${otherVendorName}`).toBe(otherBefore);
  });
});

test.describe("admin notifications", () => {
  test("notifications page passes axe", async ({ adminPage: page }, testInfo) => {
    await page.goto("/admin/notifications");
    await expect(page.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "notifications");
  });

  test("new request notifies approvers", async ({ vendorPage, adminPage: page }) => {
    const requestId = await createRequest(vendorPage, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      justification: `Notification check e2e-${uniqueTag()}`,
    });

    await page.goto("/admin/notifications");
    const recent = page.getByRole("table", { name: "Recent" });
    const requestRows = recent.getByRole("row").filter({ has: page.locator(`a[href="/requests/${requestId}"]`) });
    const approverRow = requestRows.filter({ hasText: USERS.approver.email });
    await expect(approverRow).toHaveCount(1);
    await expect(approverRow.getByRole("link", { name: `Review access request: ${RESOURCES.warehouse} for Acme Logistics` })).toBeVisible();
    await expect(approverRow.getByText("request.created", { exact: true })).toBeVisible();
    await expect(requestRows.filter({ hasText: USERS.secondApprover.email })).toHaveCount(1);
    await expect(requestRows.filter({ hasText: USERS.admin.email })).toHaveCount(1);
    await expect(requestRows.filter({ hasText: USERS.acmeVendor.email }), "email to the requester").toHaveCount(0);

    // The e2e stack writes emails to an outbox folder and its worker polls every 0.5 s, so sending is quick.
    await expect(async () => {
      await page.reload();
      await expect(approverRow.getByText("Sent", { exact: true })).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
  });
});

test.describe("admin provisioning", () => {
  test("provisioning page passes axe", async ({ adminPage: page }, testInfo) => {
    await page.goto("/admin/grants");
    await expect(page.getByRole("heading", { level: 1, name: "Provisioning" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "provisioning");
  });

  test("reconcile now shows result", async ({ adminPage: page }, testInfo) => {
    await page.goto("/admin/grants");
    const status = page.getByRole("region", { name: "Reconcile" }).getByRole("status");
    await expect(status).toHaveText("");

    await page.getByRole("button", { name: "Reconcile now", exact: true }).click();
    await expect(status).toContainText(/\d+ targets? checked/);
    await expect(page.getByRole("button", { name: "Reconcile now", exact: true })).toBeEnabled();
    await expectNoSeriousViolations(page, testInfo, "provisioning with a reconcile result");
  });
});

test.describe("API tokens", () => {
  test("tokens page passes axe", async ({ vendorPage: page }, testInfo) => {
    await page.goto("/settings/tokens");
    await expect(page.getByRole("heading", { level: 1, name: "API tokens" })).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "API tokens");

    await page.getByRole("button", { name: "Create token", exact: true }).click();
    await expect(page.getByText("Name the token, for example after the machine that uses it.")).toBeVisible();
    await expectNoSeriousViolations(page, testInfo, "API tokens with a field error");
  });

  test("token works until revoked", async ({ vendorPage: page, request }, testInfo) => {
    const tokenName = `e2e laptop ${uniqueTag()}`;
    await page.goto("/settings/tokens");
    await page.getByLabel("Name", { exact: true }).fill(tokenName);
    await page.getByLabel("Expires after (days)", { exact: true }).fill("1");
    await page.getByRole("button", { name: "Create token", exact: true }).click();

    const reveal = page.getByRole("region", { name: "API token" });
    const tokenText = reveal.getByText(/^vap_\S+$/);
    await expect(tokenText).toBeVisible();
    const token = (await tokenText.innerText()).trim();
    await expectNoSeriousViolations(page, testInfo, "API tokens with a new token shown");

    const tokenItem = page.getByRole("listitem").filter({ hasText: tokenName });
    await expect(tokenItem.getByText("active", { exact: true })).toBeVisible();

    const meResponse = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
    expect(meResponse.status(), "GET /api/v1/me status with the new token").toBe(200);
    const caller = (await meResponse.json()) as { email?: string; name?: string };
    expect(caller.email).toBe(USERS.acmeVendor.email);
    expect(caller.name).toBe(USERS.acmeVendor.name);

    await page.reload();
    await expect(page.getByRole("heading", { level: 1, name: "API tokens" })).toBeVisible();
    await expect(page.getByText(token), "token after a reload").toHaveCount(0);
    await expect(tokenItem).toContainText("last used");

    await tokenItem.getByRole("button", { name: `Revoke token ${tokenName}` }).click();
    const confirm = page.getByRole("dialog", { name: `Revoke token ${tokenName}?` });
    await expect(confirm).toBeVisible();
    await confirm.getByRole("button", { name: "Cancel", exact: true }).click();
    await expect(confirm).toBeHidden();
    const stillWorking = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
    expect(stillWorking.status(), "GET /api/v1/me status after cancelling the revocation").toBe(200);

    await tokenItem.getByRole("button", { name: `Revoke token ${tokenName}` }).click();
    await expectNoSeriousViolations(page, testInfo, "revoke token dialog");
    await confirm.getByRole("button", { name: "Revoke token", exact: true }).click();
    await expect(tokenItem.getByText("revoked", { exact: true })).toBeVisible();
    await expect(tokenItem.getByRole("button", { name: `Revoke token ${tokenName}` })).toHaveCount(0);

    const revokedResponse = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
    expect(revokedResponse.status(), "GET /api/v1/me status after revoking").toBe(401);
  });
});

test.describe("admin page access", () => {
  for (const path of ADMIN_PAGES) {
    test(`vendor gets 404 for ${path}`, async ({ vendorPage }) => {
      await expectNotFound(vendorPage, path);
    });

    test(`approver gets 404 for ${path}`, async ({ approverPage }) => {
      await expectNotFound(approverPage, path);
    });
  }
});
