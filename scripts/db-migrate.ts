// Command line for Prisma migrations on machines without Prisma's native schema-engine binary.
// The work happens in scripts/lib/migrations.ts, which the dev launcher and tests call directly.
import path from "node:path";
import { parseArgs } from "node:util";

import {
  applyMigrations,
  createMigration,
  describeDatabaseUrl,
  diffSchemaAgainstMigrations,
  MigrateError,
  MIGRATIONS_DIR,
  PROJECT_ROOT,
  resolveMigration,
  SCHEMA_PATH,
} from "./lib/migrations";

const USAGE = `Usage: npx tsx scripts/db-migrate.ts <command> [options]

Commands:
  deploy          Apply the pending migrations in prisma/migrations to DATABASE_URL,
                  like \`prisma migrate deploy\`.
  check           Compare the Prisma schema with the migrations. Exit code 0: they match.
                  Exit code 2: they differ, and the SQL difference is printed. Exit code 1: error.
  create <name>   Write prisma/migrations/<UTC yyyymmddHHMMSS>_<name>/migration.sql with the
                  schema changes that no migration contains yet, like
                  \`prisma migrate dev --create-only\`. Read the SQL before you apply it.
  resolve --rolled-back <migration>
                  Mark a failed migration as rolled back, so that deploy runs it again.
  resolve --applied <migration>
                  Record a migration as applied without running it.

Options:
  --schema <path>   Prisma schema file for check and create (default: prisma/schema.prisma).
  --allow-empty     create: write a migration without statements when the schema has no
                    changes, to fill in by hand.
  -h, --help        Show this help.

Environment:
  DATABASE_URL   postgresql:// URL. deploy and resolve change this database. check and create
                 leave it alone; they create and drop a temporary database named vap_shadow_*
                 on its server, so its user needs the CREATEDB privilege.
`;

// Exit codes, as in `prisma migrate diff --exit-code`.
const EXIT_OK = 0;
const EXIT_ERROR = 1;
const EXIT_SCHEMA_DIFFERS = 2;

const COMMANDS = ["deploy", "check", "create", "resolve"];

type Options = {
  schemaPath: string;
  allowEmpty: boolean;
  rolledBack?: string;
  applied?: string;
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      schema: { type: "string" },
      "allow-empty": { type: "boolean", default: false },
      "rolled-back": { type: "string" },
      applied: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });

  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);

    return values.help ? EXIT_OK : EXIT_ERROR;
  }

  const options: Options = {
    schemaPath: values.schema ? path.resolve(values.schema) : SCHEMA_PATH,
    allowEmpty: values["allow-empty"],
    rolledBack: values["rolled-back"],
    applied: values.applied,
  };
  if (!COMMANDS.includes(command)) {
    throw new MigrateError(`Unknown command "${command}". Run with --help to list the commands.`);
  }
  const databaseUrl = readDatabaseUrl();

  switch (command) {
    case "deploy":
      expectArguments(command, rest, 0);

      return deploy(databaseUrl, options);
    case "check":
      expectArguments(command, rest, 0);

      return check(databaseUrl, options);
    case "create":
      expectArguments(command, rest, 1);

      return create(databaseUrl, rest[0] ?? "", options);
    case "resolve":
      expectArguments(command, rest, 0);

      return resolve(databaseUrl, options);
  }

  return EXIT_ERROR;
}

async function deploy(databaseUrl: string, options: Options): Promise<number> {
  process.stdout.write(`Applying migrations from ${relative(MIGRATIONS_DIR)} to ${describeDatabaseUrl(databaseUrl)}\n`);

  const { applied } = await applyMigrations(databaseUrl, { schemaPath: options.schemaPath });

  if (applied.length === 0) {
    process.stdout.write("No pending migrations to apply.\n");
  } else {
    process.stdout.write(`Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}\n`).join("")}`);
  }

  return EXIT_OK;
}

async function check(databaseUrl: string, options: Options): Promise<number> {
  const { inSync, migrationScript } = await diffSchemaAgainstMigrations({
    serverUrl: databaseUrl,
    schemaPath: options.schemaPath,
  });

  if (inSync) {
    process.stdout.write(`${relative(options.schemaPath)} matches the migrations in ${relative(MIGRATIONS_DIR)}.\n`);

    return EXIT_OK;
  }

  process.stdout.write(migrationScript.endsWith("\n") ? migrationScript : `${migrationScript}\n`);
  process.stderr.write(
    `${relative(options.schemaPath)} differs from the migrations in ${relative(MIGRATIONS_DIR)}: a new migration needs the SQL above.\n` +
      "Create it with: npx tsx scripts/db-migrate.ts create <name>\n",
  );

  return EXIT_SCHEMA_DIFFERS;
}

async function create(databaseUrl: string, name: string, options: Options): Promise<number> {
  const created = await createMigration({
    serverUrl: databaseUrl,
    name,
    schemaPath: options.schemaPath,
    allowEmpty: options.allowEmpty,
  });

  if (created.migrationPath === null) {
    process.stdout.write(
      `${relative(options.schemaPath)} has no changes that the migrations lack, so no migration was created. Pass --allow-empty for an empty one.\n`,
    );

    return EXIT_OK;
  }

  process.stdout.write(`Created ${relative(created.migrationPath)}/migration.sql. Read it, then apply it with deploy.\n`);
  if (created.lockfileWritten) {
    process.stdout.write(`Created ${relative(MIGRATIONS_DIR)}/migration_lock.toml; commit it with the migration.\n`);
  }

  return EXIT_OK;
}

async function resolve(databaseUrl: string, options: Options): Promise<number> {
  if ((options.rolledBack === undefined) === (options.applied === undefined)) {
    throw new MigrateError("resolve needs exactly one of --rolled-back <migration> or --applied <migration>.");
  }

  const migrationName = options.rolledBack ?? options.applied ?? "";
  const as = options.rolledBack !== undefined ? "rolled-back" : "applied";
  await resolveMigration(databaseUrl, { migrationName, as });

  process.stdout.write(`Marked migration ${migrationName} as ${as} in ${describeDatabaseUrl(databaseUrl)}.\n`);

  return EXIT_OK;
}

function readDatabaseUrl(): string {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    throw new MigrateError(
      "DATABASE_URL is missing. Set it to the database's postgresql:// URL, for example DATABASE_URL=postgresql://postgres@127.0.0.1:5432/vap_dev.",
    );
  }

  return databaseUrl;
}

function expectArguments(command: string, rest: string[], count: number): void {
  if (rest.length !== count) {
    const expected = count === 0 ? "no arguments" : `${count} argument`;
    throw new MigrateError(`${command} takes ${expected}, got: ${rest.join(" ") || "none"}. Run with --help for usage.`);
  }
}

function relative(filePath: string): string {
  return path.relative(PROJECT_ROOT, filePath) || ".";
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    if (error instanceof MigrateError) {
      process.stderr.write(`Error: ${error.message}\n`);
    } else if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`Error: ${error.message}. Run with --help for usage.\n`);
    } else {
      process.stderr.write(`Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exitCode = EXIT_ERROR;
  },
);
