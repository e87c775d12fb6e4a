import type { Page } from "@playwright/test";
import { Client, DatabaseError, type ClientConfig } from "pg";

import { E2E_PORTS } from "../playwright.config";

import {
  approveRequest,
  createApprovedGrant,
  createRequest,
  DEMO_PASSWORD,
  expect,
  openActiveGrant,
  RESOURCES,
  test,
  uniqueTag,
  USERS,
} from "./fixtures";

const INSUFFICIENT_PRIVILEGE = "42501";
const INVALID_PASSWORD = "28P01";
// The demo warehouse has 40 sample shipments (lib/demo/warehouse.ts).
const SHIPMENT_COUNT = 40;

type LoginDetails = Required<Pick<ClientConfig, "host" | "port" | "database" | "user">>;

/** Reads host, port, database and user from the grant page's "Database login" card. */
async function readLoginDetails(page: Page): Promise<LoginDetails> {
  const text = async (testId: string) => (await page.getByTestId(testId).innerText()).trim();

  return {
    host: await text("db-host"),
    port: Number(await text("db-port")),
    database: await text("db-database"),
    user: await text("db-user"),
  };
}

/** Clicks the password button and returns the password the page shows once. */
async function issuePassword(page: Page, buttonName: "Create password" | "New password", previous?: string): Promise<string> {
  await page.getByRole("button", { name: buttonName, exact: true }).click();
  const secret = page.getByRole("region", { name: "Database password" }).locator("code");
  if (previous) {
    await expect(secret).not.toHaveText(previous);
  }
  await expect(secret).toHaveText(/\S{16,}/);

  return (await secret.innerText()).trim();
}

async function connect(details: LoginDetails, password: string): Promise<Client> {
  const client = new Client({ ...details, password, connectionTimeoutMillis: 10_000 });
  await client.connect();

  return client;
}

/** Returns the SQLSTATE code of the error `action` fails with, or null when it succeeds. */
async function sqlStateOf(action: () => Promise<unknown>): Promise<string | null> {
  try {
    await action();
  } catch (error) {
    if (error instanceof DatabaseError) return error.code ?? "unknown";
    throw error;
  }

  return null;
}

test.describe("database access flow", () => {
  test("sign-in form leads vendor home", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("Email", { exact: true }).fill(USERS.acmeVendor.email);
    await page.getByLabel("Password", { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();

    await page.waitForURL("/requests");
    await expect(page.getByRole("heading", { level: 1, name: "My requests" })).toBeVisible();
    await expect(page.getByText("Acme Logistics (vendor)")).toBeVisible();
  });

  test("approved login reads but cannot write", async ({ page, approverPage }) => {
    const tag = uniqueTag();

    // The vendor signs in through the form here, and the approver over HTTP.
    await page.goto("/sign-in?callbackUrl=%2Frequests%2Fnew");
    await page.getByLabel("Email", { exact: true }).fill(USERS.acmeVendor.email);
    await page.getByLabel("Password", { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL("/requests/new");

    const justification = `Monthly shipment reconciliation e2e-${tag}`;
    const requestId = await createRequest(page, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      durationMinutes: 60,
      justification,
    });
    await expect(page.getByText("Pending review")).toBeVisible();

    await approverPage.goto("/reviews");
    await expect(approverPage.getByRole("row", { name: new RegExp(`e2e-${tag}`) })).toBeVisible();
    await approveRequest(approverPage, requestId, `Fine for one hour e2e-${tag}`);

    await openActiveGrant(page, requestId);
    await expect(page.getByRole("heading", { level: 1, name: RESOURCES.warehouse })).toBeVisible();
    const details = await readLoginDetails(page);
    expect(details.host).toBe("127.0.0.1");
    expect(details.port).toBe(E2E_PORTS.postgres);
    expect(details.database).toBe("warehouse");
    expect(details.user).not.toBe("");

    const password = await issuePassword(page, "Create password");
    await expect(page.getByRole("figure").filter({ hasText: "Connect with psql" })).toContainText(`user=${details.user}`);
    await expect(page.getByRole("figure").filter({ hasText: "Connection URI" })).toContainText(`postgresql://${details.user}:`);

    const client = await connect(details, password);
    try {
      const { rows } = await client.query<{ count: string }>("SELECT count(*) FROM shipments");
      expect(Number(rows[0]?.count)).toBe(SHIPMENT_COUNT);

      const insertError = await sqlStateOf(() =>
        client.query("INSERT INTO carriers (id, name, scac, country) VALUES (9000, 'E2E Carrier', 'E2EC', 'US')"),
      );
      expect(insertError, "INSERT INTO carriers should fail with permission denied").toBe(INSUFFICIENT_PRIVILEGE);
    } finally {
      await client.end();
    }
  });

  test("new password replaces the old one", async ({ vendorPage, approverPage }) => {
    const tag = uniqueTag();
    await createApprovedGrant(vendorPage, approverPage, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      durationMinutes: 30,
      justification: `Password rotation check e2e-${tag}`,
    });
    const details = await readLoginDetails(vendorPage);

    const firstPassword = await issuePassword(vendorPage, "Create password");
    const firstClient = await connect(details, firstPassword);
    await firstClient.end();

    const secondPassword = await issuePassword(vendorPage, "New password", firstPassword);
    expect(secondPassword).not.toBe(firstPassword);

    const oldPasswordError = await sqlStateOf(() => connect(details, firstPassword).then((client) => client.end()));
    expect(oldPasswordError, "sign-in with the replaced password should fail").toBe(INVALID_PASSWORD);

    const secondClient = await connect(details, secondPassword);
    try {
      const { rows } = await secondClient.query<{ user: string }>("SELECT current_user AS user");
      expect(rows[0]?.user).toBe(details.user);
    } finally {
      await secondClient.end();
    }

    // After a reload the password is gone from the page, and the button still offers a replacement.
    await vendorPage.reload();
    await expect(vendorPage.getByRole("region", { name: "Database password" })).toHaveCount(0);
    await expect(vendorPage.getByRole("button", { name: "New password", exact: true })).toBeVisible();
  });
});
