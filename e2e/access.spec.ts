import type { Page } from "@playwright/test";

import { createApprovedGrant, DEMO_PASSWORD, expect, RESOURCES, test, uniqueTag, USERS } from "./fixtures";

const WRONG_CREDENTIALS_MESSAGE = "The email or password is incorrect.";

/** Submits the sign-in form and returns the error message it shows. */
async function failSignIn(page: Page, email: string, password: string): Promise<string> {
  await page.goto("/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();

  const alert = page.getByText(WRONG_CREDENTIALS_MESSAGE);
  await expect(alert).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);

  return (await alert.innerText()).trim();
}

/** Opens `path` and checks that the response is the 404 page, with nothing of the record shown. */
async function expectNotFound(page: Page, path: string, hiddenText: string): Promise<void> {
  const response = await page.goto(path);

  expect(response?.status(), `status of ${path}`).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  await expect(page.getByText(hiddenText)).toHaveCount(0);
}

test.describe("access control", () => {
  test("anonymous visitor goes to sign-in", async ({ page }) => {
    await page.goto("/requests");

    await expect(page).toHaveURL("/sign-in?callbackUrl=%2Frequests");
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  });

  test("sign-in returns to callback URL", async ({ page }) => {
    await page.goto("/grants");
    await expect(page).toHaveURL("/sign-in?callbackUrl=%2Fgrants");

    await page.getByLabel("Email", { exact: true }).fill(USERS.approver.email);
    await page.getByLabel("Password", { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();

    await page.waitForURL("/grants");
    await expect(page.getByRole("heading", { level: 1, name: "Grants" })).toBeVisible();
  });

  test("failed sign-ins show one message", async ({ page }) => {
    const unknownEmail = await failSignIn(page, `nobody-${uniqueTag()}@acme-logistics.example`, DEMO_PASSWORD);
    const wrongPassword = await failSignIn(page, USERS.acmeVendor.email, `not-the-password-${uniqueTag()}`);

    expect(unknownEmail).toBe(WRONG_CREDENTIALS_MESSAGE);
    expect(wrongPassword).toBe(unknownEmail);

    const session = (await (await page.request.get("/api/auth/session")).json()) as { user?: unknown };
    expect(session.user, "no session after failed sign-ins").toBeUndefined();
  });

  test("other vendor gets 404 pages", async ({ vendorPage, approverPage, otherVendorPage }) => {
    const tag = uniqueTag();
    const justification = `Acme-only data pull e2e-${tag}`;
    const { requestId, grantId } = await createApprovedGrant(vendorPage, approverPage, {
      resource: RESOURCES.fileExchange,
      accessLevel: "read",
      durationMinutes: 30,
      justification,
    });

    await expectNotFound(otherVendorPage, `/requests/${requestId}`, justification);
    await expectNotFound(otherVendorPage, `/grants/${grantId}`, "vendor-uploads/acme-logistics/");

    // Northwind's own lists do not show the request either.
    await otherVendorPage.goto("/requests");
    await expect(otherVendorPage.getByRole("heading", { level: 1, name: "My requests" })).toBeVisible();
    await expect(otherVendorPage.getByText(`e2e-${tag}`)).toHaveCount(0);
    await expect(otherVendorPage.locator(`a[href="/requests/${requestId}"]`)).toHaveCount(0);

    // The owner still sees both pages.
    const ownRequest = await vendorPage.goto(`/requests/${requestId}`);
    expect(ownRequest?.status()).toBe(200);
    await expect(vendorPage.getByText(justification, { exact: true })).toBeVisible();
  });

  test("vendor gets 404 for staff pages", async ({ vendorPage }) => {
    await expectNotFound(vendorPage, "/reviews", "Review queue");
    await expectNotFound(vendorPage, "/admin/audit", "Audit log");
  });

  test("approver gets 404 for audit log", async ({ approverPage }) => {
    await expectNotFound(approverPage, "/admin/audit", "Chain verified");
  });

  test("sign-out ends the session", async ({ vendorPage: page }) => {
    await page.goto("/requests");
    await expect(page.getByRole("heading", { level: 1, name: "My requests" })).toBeVisible();

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL(/\/sign-in/);
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();

    const session = (await (await page.request.get("/api/auth/session")).json()) as { user?: unknown };
    expect(session.user, "session after sign-out").toBeUndefined();

    await page.goto("/requests");
    await expect(page).toHaveURL("/sign-in?callbackUrl=%2Frequests");
  });
});
