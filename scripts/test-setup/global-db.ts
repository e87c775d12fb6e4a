// Vitest globalSetup for the integration project. It creates one fresh, migrated database per run
// and drops it when the run ends. Test files read its URL with inject("databaseUrl").
import type { TestProject } from "vitest/node";

import {
  applyMigrations,
  createDatabase,
  describeDatabaseUrl,
  dropDatabase,
  uniqueDatabaseName,
  withDatabaseName,
} from "../lib/migrations";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of this run's migrated test database. */
    databaseUrl: string;
    /** URL of the PostgreSQL server, for tests that create databases of their own. */
    postgresServerUrl: string;
  }
}

const DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

export default async function setupTestDatabase(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = process.env.TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
  assertLocalServer(serverUrl);

  const databaseName = uniqueDatabaseName("vap_test");
  const databaseUrl = withDatabaseName(serverUrl, databaseName);
  await createDatabase(serverUrl, databaseName);

  try {
    await applyMigrations(databaseUrl);
  } catch (error) {
    await dropDatabase(serverUrl, databaseName);
    throw error;
  }

  project.provide("databaseUrl", databaseUrl);
  project.provide("postgresServerUrl", serverUrl);

  return async () => {
    await dropDatabase(serverUrl, databaseName);
  };
}

// Tests create and drop databases, so they only ever run against a server on this machine.
function assertLocalServer(serverUrl: string): void {
  const target = describeDatabaseUrl(serverUrl);
  // An empty host means a Unix socket or localhost, both on this machine.
  const host = new URL(serverUrl).hostname;
  if (host !== "" && !LOOPBACK_HOST.test(host)) {
    throw new Error(
      `TEST_POSTGRES_URL points at ${target}, which is not on this machine. Integration tests create and drop databases, so they only run against localhost, 127.0.0.0/8, [::1] or a Unix socket.`,
    );
  }
}
