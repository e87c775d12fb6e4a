import { randomBytes } from "node:crypto";

import { test as base, expect, type APIRequestContext, type BrowserContext, type Locator, type Page } from "@playwright/test";

import { DEMO_PASSWORD } from "../scripts/lib/demo-config";

export { DEMO_PASSWORD };

/** Demo users that scripts/lib/demo-config.ts seeds into the e2e stack, all with DEMO_PASSWORD. */
export const USERS = {
  acmeVendor: { email: "alex@acme-logistics.example", name: "Alex Morgan" },
  northwindVendor: { email: "sam@northwind-analytics.example", name: "Sam Lee" },
  approver: { email: "approver@portal.example", name: "Priya Shah" },
  secondApprover: { email: "approver2@portal.example", name: "Jordan Kim" },
  admin: { email: "admin@portal.example", name: "Robin Admin" },
} as const;

export type DemoUser = (typeof USERS)[keyof typeof USERS];

export const RESOURCES = {
  warehouse: "Warehouse database (read-only)",
  /** PostgreSQL like the warehouse, but every request needs two approvals. */
  billing: "Billing database (two approvals)",
  fileExchange: "File exchange",
} as const;

/** Returns a short random tag that makes a test's requests, files and comments unique. */
export function uniqueTag(): string {
  return randomBytes(4).toString("hex");
}

/**
 * Signs a user in over HTTP like the sign-in form does, by fetching NextAuth's CSRF token and
 * posting it with the credentials to the credentials callback. `request` must be the context's
 * own `context.request` (or `page.request`), so the session cookie lands in its cookie jar.
 */
export async function signInOverHttp(request: APIRequestContext, user: DemoUser): Promise<void> {
  const csrfResponse = await request.get("/api/auth/csrf");
  expect(csrfResponse.status(), "GET /api/auth/csrf status").toBe(200);
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };

  // NextAuth responds to the callback with a redirect: to the callback URL on success, and to the
  // sign-in page with `error=CredentialsSignin` on failure. Not following it keeps that visible.
  const callback = await request.post("/api/auth/callback/credentials", {
    form: { csrfToken, email: user.email, password: DEMO_PASSWORD, callbackUrl: "/" },
    maxRedirects: 0,
  });
  expect(callback.status(), `sign-in of ${user.email}: callback status`).toBe(302);
  expect(callback.headers()["location"] ?? "", `sign-in of ${user.email}: redirect target`).not.toContain("error=");

  const session = (await (await request.get("/api/auth/session")).json()) as { user?: { email?: string } };
  expect(session.user?.email, `session of ${user.email}`).toBe(user.email);
}

/** Browser context options that a test may set for one user's page. */
export type PageOptions = {
  /** IANA time zone of the browser, such as "Europe/Berlin". Defaults to the machine's zone. */
  timezoneId?: string;
};

type RoleFixtures = {
  /** Opens a page in a new browser context, signed in as `user` over HTTP. */
  pageAs: (user: DemoUser, options?: PageOptions) => Promise<Page>;
  /** Alex Morgan, vendor user at Acme Logistics. */
  vendorPage: Page;
  /** Sam Lee, vendor user at Northwind Analytics. */
  otherVendorPage: Page;
  approverPage: Page;
  /** Jordan Kim, an approver other than `approverPage`, for resources that need two approvals. */
  secondApproverPage: Page;
  adminPage: Page;
};

/**
 * Role fixtures. Each role gets its own browser context, so cookies never mix and two users can
 * act on the same request side by side. Contexts are created on first use and closed after the test.
 */
export const test = base.extend<RoleFixtures>({
  pageAs: async ({ browser, baseURL }, provide) => {
    const contexts: BrowserContext[] = [];

    await provide(async (user, options) => {
      const context = await browser.newContext({ baseURL, ...options });
      contexts.push(context);
      await signInOverHttp(context.request, user);

      return context.newPage();
    });

    await Promise.all(contexts.map((context) => context.close()));
  },
  vendorPage: async ({ pageAs }, provide) => {
    await provide(await pageAs(USERS.acmeVendor));
  },
  otherVendorPage: async ({ pageAs }, provide) => {
    await provide(await pageAs(USERS.northwindVendor));
  },
  approverPage: async ({ pageAs }, provide) => {
    await provide(await pageAs(USERS.approver));
  },
  secondApproverPage: async ({ pageAs }, provide) => {
    await provide(await pageAs(USERS.secondApprover));
  },
  adminPage: async ({ pageAs }, provide) => {
    await provide(await pageAs(USERS.admin));
  },
});

export { expect };

/** The page header: the `<h1>`, the status badge and the buttons for the page's main actions. */
export function pageHeader(page: Page): Locator {
  return page.locator("h1").locator("xpath=ancestor::div[2]");
}

export type NewRequest = {
  resource: string;
  accessLevel: string;
  durationMinutes?: number;
  justification: string;
};

/**
 * Sends an access request through the "New request" form, starting as soon as approved, and
 * returns the new request's id from the page it lands on.
 */
export async function createRequest(page: Page, request: NewRequest): Promise<string> {
  await page.goto("/requests/new");
  await page.getByLabel("Resource", { exact: true }).selectOption({ label: request.resource });
  await page.getByLabel("Access level", { exact: true }).selectOption(request.accessLevel);
  await page.getByRole("radio", { name: "As soon as approved" }).check();
  await page.getByRole("radio", { name: "After a duration" }).check();
  await page.getByLabel("Duration in minutes").fill(String(request.durationMinutes ?? 60));
  await page.getByLabel("Justification", { exact: true }).fill(request.justification);
  await page.getByRole("button", { name: "Send request" }).click();

  await page.waitForURL(/\/requests\/(?!new\b)[^/?#]+$/);
  await expect(page.getByRole("heading", { level: 1, name: request.resource })).toBeVisible();
  await expect(page.getByText(request.justification, { exact: true })).toBeVisible();

  return requestIdFromUrl(page.url());
}

export function requestIdFromUrl(url: string): string {
  const id = new URL(url).pathname.split("/").pop();
  if (!id) throw new Error(`Request id missing from URL ${url}`);

  return id;
}

/** Approves a pending request from its page, as an approver or admin, with a comment. */
export async function approveRequest(page: Page, requestId: string, comment: string): Promise<void> {
  await page.goto(`/requests/${requestId}`);
  await page.getByLabel("Comment", { exact: true }).fill(comment);
  await page.getByRole("button", { name: "Approve", exact: true }).click();

  // The page refreshes after the decision and drops the review form, so its own success message
  // may vanish at once. The history entry with the comment and the grant card stay.
  await expect(page.getByRole("list", { name: "Status history" }).getByText(comment)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Grant", exact: true })).toBeVisible();
}

/**
 * Approves or denies a pending request from its page, as an approver or admin, with a comment.
 * Unlike `approveRequest` it expects no grant, so it also fits a request that still needs another
 * approval, a denial and an extension request. It returns once the review form is gone.
 */
export async function submitReview(page: Page, requestId: string, decision: "Approve" | "Deny", comment: string): Promise<void> {
  await page.goto(`/requests/${requestId}`);
  await page.getByLabel("Comment", { exact: true }).fill(comment);
  await page.getByRole("button", { name: decision, exact: true }).click();

  await expect(page.getByRole("list", { name: "Status history" }).getByText(comment)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Your review", exact: true })).toHaveCount(0);
}

/**
 * Opens the grant of an approved request from the requester's request page and returns its id.
 * Approval activates the grant at once, and the worker retries when that fails, so this reloads
 * the request page until the grant is active.
 */
export async function openActiveGrant(page: Page, requestId: string): Promise<string> {
  await page.goto(`/requests/${requestId}`);
  const credentialsLink = page.getByRole("link", { name: "Get credentials" });
  await expect(async () => {
    await page.reload();
    await expect(credentialsLink).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });

  await credentialsLink.click();
  await page.waitForURL(/\/grants\/[^/?#]+$/);

  return new URL(page.url()).pathname.split("/").pop()!;
}

/** Creates a request as the vendor, has the approver approve it, and opens the active grant. */
export async function createApprovedGrant(
  vendorPage: Page,
  approverPage: Page,
  request: NewRequest,
): Promise<{ requestId: string; grantId: string }> {
  const requestId = await createRequest(vendorPage, request);
  await approveRequest(approverPage, requestId, `Approved by e2e for ${request.justification}`);
  const grantId = await openActiveGrant(vendorPage, requestId);

  return { requestId, grantId };
}
