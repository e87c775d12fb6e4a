import type { Page } from "@playwright/test";
import { Client, DatabaseError, type ClientConfig } from "pg";

import { expect } from "./fixtures";

/** SQLSTATE of a failed password check, also returned for a role that no longer exists. */
export const INVALID_PASSWORD = "28P01";
/** SQLSTATE that a session ended by pg_terminate_backend receives. */
export const ADMIN_SHUTDOWN = "57P01";

export type LoginDetails = Required<Pick<ClientConfig, "host" | "port" | "database" | "user">>;

/** Reads host, port, database and user from the grant page's "Database login" card. */
export async function readLoginDetails(page: Page): Promise<LoginDetails> {
  const text = async (testId: string) => (await page.getByTestId(testId).innerText()).trim();

  return {
    host: await text("db-host"),
    port: Number(await text("db-port")),
    database: await text("db-database"),
    user: await text("db-user"),
  };
}

/** Clicks "Create password" on the grant page and returns the password the page shows once. */
export async function createPassword(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Create password", exact: true }).click();
  const secret = page.getByRole("region", { name: "Database password" }).locator("code");
  await expect(secret).toHaveText(/\S{16,}/);

  return (await secret.innerText()).trim();
}

/**
 * Opens a session as the grant's login. Errors that reach the client while it is idle, such as
 * the server terminating the session, are stored in `errors` instead of being thrown as an
 * unhandled "error" event, which would end the test process.
 */
export async function connect(details: LoginDetails, password: string): Promise<{ client: Client; errors: Error[] }> {
  const client = new Client({ ...details, password, connectionTimeoutMillis: 10_000 });
  const errors: Error[] = [];
  client.on("error", (error) => errors.push(error));
  await client.connect();

  return { client, errors };
}

/** Returns the SQLSTATE code of the error `action` fails with, or null when it succeeds. */
export async function sqlStateOf(action: () => Promise<unknown>): Promise<string | null> {
  try {
    await action();
  } catch (error) {
    if (error instanceof DatabaseError) return error.code ?? "unknown";
    throw error;
  }

  return null;
}

/** Signs in with `password` and returns the SQLSTATE of the failure, or null when sign-in works. */
export async function signInError(details: LoginDetails, password: string): Promise<string | null> {
  return sqlStateOf(async () => {
    const { client } = await connect(details, password);
    await client.end();
  });
}
