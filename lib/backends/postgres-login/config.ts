import { z } from "zod";

/**
 * A PostgreSQL identifier that needs no quoting: lower-case, at most 63 bytes (NAMEDATALEN - 1).
 * Upper-case letters are left out on purpose because unquoted SQL folds them to lower case, so
 * `Warehouse` in a config would not name the same object as `Warehouse` typed into psql.
 */
export const POSTGRES_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export const ZPostgresIdentifier = z
  .string()
  .regex(POSTGRES_IDENTIFIER, "must be 1-63 lower-case letters, digits or underscores, not starting with a digit");

export const ZPostgresSslMode = z.enum(["disable", "require", "verify-full"]);
export type PostgresSslMode = z.infer<typeof ZPostgresSslMode>;

// Roles starting with pg_ are PostgreSQL's predefined roles (pg_read_all_data, pg_write_server_files,
// pg_signal_backend, ...). Making a vendor login a member of one would grant far more than one database.
const ZGroupRole = ZPostgresIdentifier.refine((name) => !name.startsWith("pg_") && name !== "public", {
  message: "must not be a predefined role (pg_*) or PUBLIC; use a dedicated read-only group role",
});

/** Configuration of a `POSTGRES` resource: a database where the portal creates short-lived logins. */
export const ZPostgresLoginConfig = z
  .object({
    host: z.union([z.ipv4(), z.ipv6(), z.hostname()], { error: "must be a host name or an IP address" }),
    port: z.number().int().min(1).max(65535).default(5432),
    database: ZPostgresIdentifier,
    /** The NOLOGIN group role holding the read-only privileges that each login joins. */
    groupRole: ZGroupRole,
    /**
     * Name of the setting that contains the management connection URL, for example
     * `WAREHOUSE_MANAGEMENT_URL`. The URL carries a password, so it lives in the environment and
     * never in the portal database.
     */
    managementUrlSetting: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*_URL$/, "must be the name of a setting: upper-case letters, digits and underscores ending in _URL"),
    /** The sslmode that vendors connect with, shown in their connection URI and psql command. */
    sslMode: ZPostgresSslMode.default("disable"),
  })
  .strict();

export type PostgresLoginConfig = z.infer<typeof ZPostgresLoginConfig>;
