// No `import "server-only"`: the dev launcher runs this file under plain Node (tsx), where that
// package throws on import. Nothing here may be imported by browser code either way.
import { Client, DatabaseError, escapeIdentifier, escapeLiteral } from "pg";

import { POSTGRES_IDENTIFIER } from "@/lib/backends/postgres-login/config";
import { scramSha256Verifier } from "@/lib/backends/postgres-login/password";

export interface PrepareWarehouseOptions {
  /** postgresql:// URL of a superuser. Its database is used only to create the warehouse. */
  superuserUrl: string;
  database?: string;
  /** NOLOGIN role with the read-only privileges, which every vendor login joins. */
  groupRole?: string;
  /** The role the portal signs in as to create and remove logins. Not a superuser. */
  managerRole?: string;
  managerPassword: string;
}

const DUPLICATE_DATABASE = "42P04";
// Serialises concurrent runs (two launchers starting at once) on the same server.
const PREPARE_LOCK_KEY = 7_310_452_001;

/**
 * Prepares the demo "warehouse" target for the PostgreSQL login backend and returns the
 * management connection URL (the manager role on the warehouse database, same host and port as
 * `superuserUrl`). Safe to run on every start: each step creates what is missing and resets
 * privileges and role attributes to the values below.
 *
 * Afterwards:
 * - The database contains `carriers`, `shipments` and `invoices` with fixed sample rows.
 * - PUBLIC has no privilege on the database (no CONNECT, TEMPORARY or CREATE) and no CREATE on
 *   schema public.
 * - The group role has CONNECT, USAGE on schema public, and SELECT on current and future tables.
 *   It gets no TEMPORARY, because read-only troubleshooting needs no temp tables, and without
 *   them a vendor login cannot create a table of any kind.
 * - The manager role has LOGIN, CREATEROLE, CONNECT, membership in pg_signal_backend (to end
 *   vendor sessions) and the group role WITH ADMIN OPTION, which PostgreSQL 16+ requires before
 *   it may grant that role. On 16+ that membership is also INHERIT FALSE, SET FALSE, so the
 *   manager cannot read the tables itself.
 *
 * NOTE: PUBLIC keeps its default CONNECT on the server's other databases (such as `postgres`,
 * or the portal's own database on a shared dev server), so a vendor login can connect there
 * and list catalog objects, though it cannot read tables it has no grant on.
 */
export async function prepareWarehouse(options: PrepareWarehouseOptions): Promise<string> {
  const database = options.database ?? "warehouse";
  const groupRole = options.groupRole ?? "warehouse_readonly";
  const managerRole = options.managerRole ?? "portal_manager";
  for (const [label, name] of [
    ["database", database],
    ["groupRole", groupRole],
    ["managerRole", managerRole],
  ] as const) {
    if (!POSTGRES_IDENTIFIER.test(name)) {
      throw new Error(`prepareWarehouse: ${label} "${name}" is invalid; use 1-63 lower-case letters, digits or underscores`);
    }
  }
  if (new Set([groupRole, managerRole]).size !== 2) {
    throw new Error("prepareWarehouse: groupRole and managerRole must be different roles");
  }
  if (options.managerPassword.length < 16) {
    throw new Error("prepareWarehouse: managerPassword must be at least 16 characters");
  }

  const admin = await connect(options.superuserUrl);
  try {
    await assertSuperuser(admin, managerRole);
    await admin.query("SELECT pg_advisory_lock($1)", [PREPARE_LOCK_KEY]);
    const serverVersion = Number((await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v);

    await createDatabaseIfMissing(admin, database);
    await prepareRoles(admin, { database, groupRole, managerRole, managerPassword: options.managerPassword, serverVersion });

    const warehouse = await connect(withDatabase(options.superuserUrl, database));
    try {
      await prepareSchema(warehouse, groupRole);
    } finally {
      await warehouse.end();
    }
  } finally {
    // Closing the session also releases the advisory lock.
    await admin.end();
  }

  const managementUrl = new URL(withDatabase(options.superuserUrl, database));
  managementUrl.username = encodeURIComponent(managerRole);
  managementUrl.password = encodeURIComponent(options.managerPassword);

  return managementUrl.toString();
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000, statement_timeout: 60_000 });
  // The query in flight rejects with the same error, so the listener only keeps the process alive.
  client.on("error", () => undefined);
  await client.connect();

  return client;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;

  return parsed.toString();
}

async function assertSuperuser(client: Client, managerRole: string): Promise<void> {
  const { rows } = await client.query<{ rolsuper: boolean }>("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
  if (rows[0]?.rolsuper !== true) {
    throw new Error("prepareWarehouse: superuserUrl must sign in as a superuser, because it creates roles and a database");
  }
  const { rows: sameRole } = await client.query<{ same: boolean }>("SELECT current_user = $1 AS same", [managerRole]);
  if (sameRole[0]?.same === true) {
    throw new Error(`prepareWarehouse: managerRole "${managerRole}" is the superuser of superuserUrl; preparing it would remove its SUPERUSER attribute`);
  }
}

async function createDatabaseIfMissing(client: Client, database: string): Promise<void> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
  if (rowCount !== 0) return;

  try {
    await client.query(`CREATE DATABASE ${escapeIdentifier(database)}`);
  } catch (error) {
    // Created by another process between the check and here, which is the state we want.
    if (!(error instanceof DatabaseError && error.code === DUPLICATE_DATABASE)) throw error;
  }
}

async function roleExists(client: Client, role: string): Promise<boolean> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);

  return rowCount !== 0;
}

async function prepareRoles(
  client: Client,
  names: { database: string; groupRole: string; managerRole: string; managerPassword: string; serverVersion: number },
): Promise<void> {
  const database = escapeIdentifier(names.database);
  const group = escapeIdentifier(names.groupRole);
  const manager = escapeIdentifier(names.managerRole);
  // The verifier, not the password, goes into the statement, so server logs never see the password.
  const managerPassword = escapeLiteral(scramSha256Verifier(names.managerPassword));
  const managerAttributes = `LOGIN CREATEROLE NOSUPERUSER NOCREATEDB NOREPLICATION NOBYPASSRLS PASSWORD ${managerPassword}`;

  const groupVerb = (await roleExists(client, names.groupRole)) ? "ALTER" : "CREATE";
  await client.query(`${groupVerb} ROLE ${group} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`);

  const managerVerb = (await roleExists(client, names.managerRole)) ? "ALTER" : "CREATE";
  await client.query(`${managerVerb} ROLE ${manager} ${managerAttributes}`);
  await client.query(`GRANT pg_signal_backend TO ${manager}`);
  // PostgreSQL 16 added per-grant INHERIT and SET options; before that, ADMIN OPTION is all there is.
  const adminGrantOptions = names.serverVersion >= 160000 ? "WITH ADMIN OPTION, INHERIT FALSE, SET FALSE" : "WITH ADMIN OPTION";
  await client.query(`GRANT ${group} TO ${manager} ${adminGrantOptions}`);

  await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
  await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${group}, ${manager}`);
}

async function prepareSchema(client: Client, groupRole: string): Promise<void> {
  const group = escapeIdentifier(groupRole);

  await client.query("BEGIN");
  try {
    await client.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    await client.query(`GRANT USAGE ON SCHEMA public TO ${group}`);
    await client.query(SAMPLE_TABLES);
    await client.query(SAMPLE_ROWS);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${group}`);
    // Applies to tables that this superuser creates later in schema public.
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${group}`);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

const SAMPLE_TABLES = `
CREATE TABLE IF NOT EXISTS carriers (
  id integer PRIMARY KEY,
  name text NOT NULL,
  scac char(4) NOT NULL UNIQUE,
  country char(2) NOT NULL
);
CREATE TABLE IF NOT EXISTS shipments (
  id integer PRIMARY KEY,
  carrier_id integer NOT NULL REFERENCES carriers (id),
  origin text NOT NULL,
  destination text NOT NULL,
  weight_kg numeric(10, 2) NOT NULL,
  status text NOT NULL CHECK (status IN ('booked', 'in_transit', 'delivered', 'delayed')),
  shipped_at timestamptz NOT NULL,
  delivered_at timestamptz
);
CREATE TABLE IF NOT EXISTS invoices (
  id integer PRIMARY KEY,
  shipment_id integer NOT NULL REFERENCES shipments (id),
  amount numeric(12, 2) NOT NULL,
  currency char(3) NOT NULL,
  issued_at timestamptz NOT NULL,
  paid_at timestamptz
);
`;

// Fixed ids with ON CONFLICT DO NOTHING, so reruns add nothing and keep rows someone edited.
const SAMPLE_ROWS = `
INSERT INTO carriers (id, name, scac, country) VALUES
  (1, 'Northwind Freight', 'NWFR', 'US'),
  (2, 'Blue Anchor Lines', 'BALN', 'NL'),
  (3, 'Cedar Road Haulage', 'CRHL', 'CA'),
  (4, 'Kestrel Air Cargo', 'KACG', 'DE'),
  (5, 'Southern Cross Logistics', 'SCLG', 'AU'),
  (6, 'Harbor Point Shipping', 'HPSH', 'SG'),
  (7, 'Redline Express', 'RDLX', 'GB'),
  (8, 'Pampas Transportes', 'PMTR', 'AR')
ON CONFLICT (id) DO NOTHING;

INSERT INTO shipments (id, carrier_id, origin, destination, weight_kg, status, shipped_at, delivered_at)
SELECT n,
       1 + (n * 5) % 8,
       (ARRAY['Rotterdam', 'Chicago', 'Singapore', 'Hamburg', 'Santos'])[1 + n % 5],
       (ARRAY['Toronto', 'Melbourne', 'Leeds', 'Austin', 'Osaka', 'Lyon'])[1 + (n * 7) % 6],
       round((50 + (n * 37) % 950)::numeric + (n % 10) / 10.0, 2),
       (ARRAY['booked', 'in_transit', 'delivered', 'delivered', 'delayed'])[1 + n % 5],
       timestamptz '2025-01-06 08:00:00+00' + n * interval '19 hours',
       CASE WHEN n % 5 IN (2, 3) THEN timestamptz '2025-01-06 08:00:00+00' + n * interval '19 hours' + interval '3 days' END
  FROM generate_series(1, 40) AS n
ON CONFLICT (id) DO NOTHING;

INSERT INTO invoices (id, shipment_id, amount, currency, issued_at, paid_at)
SELECT n,
       n,
       round((120 + (n * 263) % 4800)::numeric + (n % 100) / 100.0, 2),
       (ARRAY['USD', 'EUR', 'GBP'])[1 + n % 3],
       timestamptz '2025-01-07 12:00:00+00' + n * interval '19 hours',
       CASE WHEN n % 4 <> 0 THEN timestamptz '2025-01-21 12:00:00+00' + n * interval '19 hours' END
  FROM generate_series(1, 30) AS n
ON CONFLICT (id) DO NOTHING;
`;
