// Two `npm run worker` processes on one database share the grant jobs without running any twice:
// grants scheduled to start and end within seconds are each activated once and expired once.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, expect, test } from "vitest";

import { db } from "@/lib/db";
import { expireGrant } from "@/lib/grants/lifecycle";
import {
  countAuditEvents,
  createGrant,
  createWarehouse,
  DEFAULT_SERVER_URL,
  randomSuffix,
  seedPortal,
  waitFor,
  type SeededPortal,
  type Warehouse,
} from "@/lib/testing/fixtures";

import { QUEUES, stopBoss } from "./queue";

const SERVER_URL = process.env.TEST_POSTGRES_URL || DEFAULT_SERVER_URL;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const GRANT_COUNT = 12;
// Long enough for both workers to activate every grant before its end: an activation took 0.3 to
// 0.6 s on the development machine, and each worker runs a batch of 4 one after another.
const GRANT_WINDOW_MS = 8_000;
const WORKER_START_TIMEOUT_MS = 40_000;
const WORKER_STOP_TIMEOUT_MS = 15_000;
const suffix = randomSuffix();

type LogLine = { level: number; msg: string; grantId?: string; outcome?: string; [key: string]: unknown };

type WorkerProcess = { name: string; child: ChildProcessWithoutNullStreams; logs: LogLine[]; stderr: string[]; exited: Promise<number | null> };

let warehouse: Warehouse;
let portal: SeededPortal;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  warehouse = await createWarehouse(SERVER_URL, suffix);
  portal = await seedPortal(warehouse, suffix);
});

afterAll(async () => {
  for (const worker of workers) await stopWorker(worker);
  await stopBoss();
  const live = await db.grant.findMany({ where: { resourceId: portal.resourceId, status: { in: ["SCHEDULED", "ACTIVE", "FAILED"] } } });
  for (const grant of live) await expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
  await warehouse.drop();
});

/** Starts `npm run worker` as its own process and collects its JSON log lines. */
function startWorkerProcess(name: string): WorkerProcess {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: "debug",
      WORKER_POLLING_SECONDS: "0.5",
      [warehouse.managementUrlSetting]: process.env[warehouse.managementUrlSetting],
    },
  });
  const worker: WorkerProcess = {
    name,
    child,
    logs: [],
    stderr: [],
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };

  let pending = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      try {
        worker.logs.push(JSON.parse(line) as LogLine);
      } catch {
        worker.stderr.push(`stdout: ${line}`);
      }
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => worker.stderr.push(chunk));

  return worker;
}

/** Sends SIGTERM to the worker's own PID and waits for it to exit; SIGKILL after the timeout. */
async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill("SIGTERM");
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), WORKER_STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([worker.exited, timeout])) === "timeout") {
    worker.child.kill("SIGKILL");
    await worker.exited;
  }
}

function jobLines(message: string, grantId: string) {
  return workers.flatMap((worker) => worker.logs.filter((line) => line.msg === message && line.grantId === grantId).map((line) => ({ worker: worker.name, line })));
}

test("two workers run each grant job once", async () => {
  workers.push(startWorkerProcess("worker-a"), startWorkerProcess("worker-b"));
  for (const worker of workers) {
    await waitFor(
      `${worker.name} to start`,
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`${worker.name} exited with ${worker.child.exitCode}: ${worker.stderr.join("")}`);

        return worker.logs.some((line) => line.msg === "worker started") ? true : undefined;
      },
      { timeoutMs: WORKER_START_TIMEOUT_MS, intervalMs: 200 },
    );
  }

  const firstStart = Date.now() + 2_000;
  const grants = [];
  for (let index = 0; index < GRANT_COUNT; index++) {
    const startsAt = new Date(firstStart + index * 100);
    grants.push(await createGrant(portal, { startsAt, endsAt: new Date(startsAt.getTime() + GRANT_WINDOW_MS) }, { scheduleJobs: true }));
  }
  const grantIds = grants.map((grant) => grant.id);

  await waitFor(
    "every grant to expire",
    async () => {
      const expired = await db.grant.count({ where: { id: { in: grantIds }, status: "EXPIRED" } });

      return expired === GRANT_COUNT ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );

  for (const grantId of grantIds) {
    expect(await countAuditEvents(grantId, "grant.activated"), `grant.activated events of ${grantId}`).toBe(1);
    expect(await countAuditEvents(grantId, "grant.expired"), `grant.expired events of ${grantId}`).toBe(1);
    expect(await countAuditEvents(grantId, "grant.activation_retry"), `grant.activation_retry events of ${grantId}`).toBe(0);
    expect(await countAuditEvents(grantId, "grant.failed"), `grant.failed events of ${grantId}`).toBe(0);
    // pg-boss handed each job to one worker only: one "job done" line per grant across both.
    expect(jobLines("activation job done", grantId), `activation jobs of ${grantId}`).toHaveLength(1);
    expect(jobLines("expiry job done", grantId), `expiry jobs of ${grantId}`).toHaveLength(1);
  }

  const jobs = await db.$queryRaw<{ name: string; state: string; retry_count: number; grant_id: string }[]>`
    SELECT name, state::text AS state, retry_count, data->>'grantId' AS grant_id
      FROM pgboss.job
     WHERE name IN (${QUEUES.activateGrant}, ${QUEUES.expireGrant}) AND data->>'grantId' = ANY(${grantIds})`;
  expect(jobs).toHaveLength(2 * GRANT_COUNT);
  for (const job of jobs) expect(job, `${job.name} job of ${job.grant_id}`).toMatchObject({ state: "completed", retry_count: 0 });

  for (const worker of workers) expect(worker.child.exitCode, `${worker.name} exit code`).toBeNull();
  const ownIds = new Set<unknown>([...grantIds, portal.resourceId]);
  const problems = workers.flatMap((worker) =>
    worker.logs
      .filter((line) => line.level >= 40 && (line.msg === "pg-boss error" || ownIds.has(line.grantId) || ownIds.has(line.resourceId)))
      .map((line) => `${worker.name}: ${JSON.stringify(line)}`),
  );
  expect(problems).toEqual([]);

  const share = workers.map((worker) => `${worker.name} ran ${worker.logs.filter((line) => line.msg === "activation job done" || line.msg === "expiry job done").length} jobs`);
  console.info(`job share: ${share.join(", ")}`);
});
