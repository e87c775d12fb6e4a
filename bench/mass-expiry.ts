// Measures mass expiry of N grants (default 1,000) on one POSTGRES resource, each with its own
// login role, all ending at the same whole minute. Worker processes (scripts/worker.ts, one by default)
// expire them, and the benchmark records for each grant the time from its end until it is EXPIRED
// and its login role is gone. It runs against a throwaway portal database and warehouse target on
// a local PostgreSQL server, and drops both afterwards.
//
//   node --conditions=react-server --import tsx bench/mass-expiry.ts [--grants N] [--without-jobs] [--json]
//
// With --in-process-concurrency N no worker runs. This process calls expireGrant() for every grant
// at the end instead, N at a time. That is what an expiry job handler that runs its batch concurrently
// would do, so it measures such a change without editing the worker.
//
// Run with --help for every option. The figures are printed, not asserted: the exit code is 0
// whether or not the target is met, and 1 only when the benchmark itself fails.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import pg from "pg";

import { describeDatabaseUrl } from "../scripts/lib/migrations";

import { stopProcess } from "./approval-latency";
import { describeMachine, formatLoadAverage, type MachineInfo } from "./lib/machine";
import { BENCH_APPLICATION_PREFIX, createBenchPortal, DEFAULT_SERVER_URL, type BenchPortal } from "./lib/portal-fixture";
import { installQueryProfiler } from "./lib/query-profiler";
import { runBenchmarkCli } from "./lib/cli";
import { formatMs, renderTable, summarize, summaryRow, SUMMARY_HEADER, type Summary } from "./lib/stats";

/** Project target: every grant EXPIRED and its login role dropped within this long of its end. */
export const MASS_EXPIRY_TARGET_MS = 60_000;

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CREATE_CHUNK = 200;
const SCHEDULE_CHUNK = 100;
// The worker must be polling before the end, or its start-up would count as expiry time.
const MIN_MARGIN_BEFORE_END_MS = 10_000;
const WORKER_START_TIMEOUT_MS = 60_000;
const WORKER_STOP_TIMEOUT_MS = 15_000;
const MAX_KEPT_STDERR_LINES = 40;
const MINUTE_MS = 60_000;

export type MassExpiryOptions = {
  grants: number;
  /** Enqueue no per-grant expiry jobs, so only the worker's sweep and reconcile expire the grants. */
  withoutJobs: boolean;
  /** The end is the first whole minute at least this many seconds after creation starts. */
  leadSeconds: number;
  /** Grants created alongside and expired one at a time in this process, to measure one expiry alone. */
  probe: number;
  activateConcurrency: number;
  workerPollingSeconds: number;
  /** Worker processes started side by side, as `npm run worker` on several hosts would be. */
  workers: number;
  /** When above 0, no worker runs, and this process expires the grants at their end, this many at a time. */
  inProcessConcurrency: number;
  pollMs: number;
  /** How long after the end to wait for the last grant before giving up, in seconds. */
  maxWaitSeconds: number;
  serverUrl: string;
};

type WorkerLogLine = { time: number; level: number; msg: string; [field: string]: unknown };

export type MassExpiryResult = {
  benchmark: "mass-expiry";
  startedAt: string;
  machine: MachineInfo;
  loadAverageAtEnd: [number, number, number];
  postgres: { server: string; version: string };
  options: MassExpiryOptions;
  endsAt: string;
  creation: { seconds: number; grantsPerSecond: number; secondsBeforeEnd: number };
  workerReadySecondsBeforeEnd: number;
  /** Time from the end until EXPIRED and role gone, per grant, in ms, late by up to one monitor poll. */
  endToDone: Summary | null;
  endToExpiredStatus: Summary | null;
  endToRoleGone: Summary | null;
  doneWithinTarget: number;
  notDone: number;
  expiredBeforeEnd: number;
  lastDoneSeconds: number | null;
  /** Expiries per second between the first and the last "grant ended" line of the worker. */
  workerGrantsPerSecond: number | null;
  /** One expireGrant() at a time in this process, before the worker starts. */
  probe: {
    expireGrant: Summary | null;
    meanTargetConnectMs: number | null;
    meanTargetStatementsMs: number | null;
    meanTargetStatements: number | null;
    meanPortalQueryMs: number | null;
    meanOtherMs: number | null;
  };
  attribution: { expiryJobs: number; sweep: number; reconcile: number };
  expiryJobOutcomes: Record<string, number>;
  sweepRuns: { secondsAfterEnd: number; expired: number; errors: number }[];
  reconcileRuns: { secondsAfterEnd: number; expiredOverdue: number; failures: number }[];
  /** Gap between consecutive "expiry job done" lines with outcome ended, of all workers merged, in ms. */
  expiryJobGap: Summary | null;
  monitor: {
    samples: number;
    /** Samples with a portal backend waiting for a row lock (wait_event transactionid or tuple). */
    samplesWithRowLockWaits: number;
    /** Samples with a portal backend waiting for an advisory lock, such as the audit chain's. */
    samplesWithAdvisoryLockWaits: number;
    maxLockWaits: number;
    maxManagerSessions: number;
    meanManagerSessions: number | null;
  };
  /** Outcomes of expireGrant() with --in-process-concurrency. */
  inProcessOutcomes: Record<string, number>;
  workerWarnings: Record<string, number>;
  workerStderrTail: string[];
  target: { limitMs: number; count: number; maxMs: number | null; met: boolean };
  cleanupProblems: string[];
};

const HELP = `Usage: node --conditions=react-server --import tsx bench/mass-expiry.ts [options]

Measures how long a worker takes to expire many grants that end at the same instant, with the
portal's own modules against a throwaway portal database and warehouse on the PostgreSQL server
at TEST_POSTGRES_URL (default ${DEFAULT_SERVER_URL}; it must be on this machine and accept a
superuser). The worker is scripts/worker.ts in a child process.

Options:
  --grants N                  grants that end together (default 1000)
  --without-jobs              enqueue no per-grant expiry jobs; the worker's minute sweep and
                              reconcile are left to expire the grants
  --lead-seconds S            the end is the first whole minute at least S seconds after creation
                              starts (default 120)
  --probe N                   extra grants expired one at a time before the worker starts, to time
                              a single expireGrant() (default 10)
  --activate-concurrency N    activateGrant() calls in flight while creating grants (default 4)
  --worker-polling-seconds S  WORKER_POLLING_SECONDS of the worker (default 1)
  --workers N                 worker processes side by side (default 1)
  --in-process-concurrency N  start no worker; at the end, call expireGrant() for every grant in
                              this process, N at a time (default 0: use the worker)
  --poll-ms MS                interval of the progress query on the portal database (default 250)
  --max-wait-seconds S        give up S seconds after the end (default 600)
  --json                      print the results as JSON instead of tables
  --help                      print this text
`;

export function parseMassExpiryArgs(argv: string[]): { options: MassExpiryOptions; json: boolean; help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      grants: { type: "string", default: "1000" },
      "without-jobs": { type: "boolean", default: false },
      "lead-seconds": { type: "string", default: "120" },
      probe: { type: "string", default: "10" },
      "activate-concurrency": { type: "string", default: "4" },
      "worker-polling-seconds": { type: "string", default: "1" },
      workers: { type: "string", default: "1" },
      "in-process-concurrency": { type: "string", default: "0" },
      "poll-ms": { type: "string", default: "250" },
      "max-wait-seconds": { type: "string", default: "600" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });

  return {
    options: {
      grants: parseWholeNumber("--grants", values.grants, 1, 10_000),
      withoutJobs: values["without-jobs"],
      leadSeconds: parseWholeNumber("--lead-seconds", values["lead-seconds"], 20, 3600),
      probe: parseWholeNumber("--probe", values.probe, 0, 100),
      activateConcurrency: parseWholeNumber("--activate-concurrency", values["activate-concurrency"], 1, 16),
      workerPollingSeconds: parseWholeNumber("--worker-polling-seconds", values["worker-polling-seconds"], 1, 60),
      workers: parseWholeNumber("--workers", values.workers, 1, 8),
      inProcessConcurrency: parseWholeNumber("--in-process-concurrency", values["in-process-concurrency"], 0, 64),
      pollMs: parseWholeNumber("--poll-ms", values["poll-ms"], 50, 5000),
      maxWaitSeconds: parseWholeNumber("--max-wait-seconds", values["max-wait-seconds"], 10, 3600),
      serverUrl: process.env.TEST_POSTGRES_URL || DEFAULT_SERVER_URL,
    },
    json: values.json,
    help: values.help,
  };
}

function parseWholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${flag} ${text} is invalid: expected a whole number from ${min} to ${max}`);
  }

  return value;
}

type GrantRow = { id: string; endsAt: Date };

/** Runs the benchmark and removes everything it created, the worker included, also when it fails part-way. */
export async function runMassExpiry(options: MassExpiryOptions, progress: (message: string) => void): Promise<MassExpiryResult> {
  const startedAt = new Date();
  const machine = describeMachine();

  let stopRequested = false;
  const stopOnSignal = () => {
    stopRequested = true;
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);

  let portal: BenchPortal | null = null;
  const cleanupProblems: string[] = [];

  try {
    portal = await createBenchPortal({ serverUrl: options.serverUrl, label: "expiry", maxDurationMinutes: 240, progress });
    const profiler = installQueryProfiler({ portalDatabase: portal.portalDatabase, targetUser: portal.managerRole, benchApplicationPrefix: BENCH_APPLICATION_PREFIX });
    const [{ db }, { activateGrant, expireGrant }, { scheduleGrantExpiry }] = await Promise.all([
      import("../lib/db"),
      import("../lib/grants/lifecycle"),
      import("../lib/jobs/queue"),
    ]);

    const monitor = new pg.Client({ connectionString: portal.portalUrl, application_name: `${BENCH_APPLICATION_PREFIX}-monitor` });
    monitor.on("error", () => undefined);
    await monitor.connect();
    portal.addCleanup("close the monitor connection", () => monitor.end());
    const postgresVersion = (await monitor.query<{ version: string }>("SELECT current_setting('server_version') AS version")).rows[0]?.version ?? "unknown";

    // Request and grant rows are written in bulk. The product's own activation then creates each
    // login role at the target, as the activation job or an approval does.
    const creationStartedAt = Date.now();
    const endsAt = new Date(Math.ceil((creationStartedAt + options.leadSeconds * 1000) / MINUTE_MS) * MINUTE_MS);
    const startsAt = new Date(creationStartedAt);
    const total = options.grants + options.probe;
    progress(`Creating ${options.grants} + ${options.probe} probe grants that start now and end at ${endsAt.toISOString()}`);
    const { vendor, resourceId } = portal;
    const created: GrantRow[] = [];
    for (let offset = 0; offset < total; offset += CREATE_CHUNK) {
      const count = Math.min(CREATE_CHUNK, total - offset);
      const requests = await db.accessRequest.createManyAndReturn({
        data: Array.from({ length: count }, () => ({
          vendorId: vendor.vendorId!,
          requesterId: vendor.id,
          resourceId,
          accessLevel: "read",
          windowKind: "FIXED" as const,
          requestedStart: startsAt,
          requestedEnd: endsAt,
          justification: "Benchmark run: mass expiry.",
          status: "APPROVED" as const,
          decidedAt: startsAt,
        })),
        select: { id: true },
      });
      const grants = await db.grant.createManyAndReturn({
        data: requests.map((request) => ({
          requestId: request.id,
          vendorId: vendor.vendorId!,
          resourceId,
          holderId: vendor.id,
          accessLevel: "read",
          startsAt,
          endsAt,
        })),
        select: { id: true, endsAt: true },
      });
      created.push(...grants);
    }

    let activated = 0;
    await forEachConcurrently(created, options.activateConcurrency, async (grant) => {
      if (stopRequested) throw new Error("interrupted by a signal");
      const outcome = await activateGrant(grant.id);
      if (outcome !== "activated") throw new Error(`grant ${grant.id} was not activated: activateGrant returned ${outcome}`);
      activated++;
      if (activated % 200 === 0) progress(`  ${activated}/${total} grants activated`);
    });

    const probeGrants = created.slice(0, options.probe);
    const measuredGrants = created.slice(options.probe);
    // With --in-process-concurrency no worker runs, so jobs would only wait in the queue.
    if (!options.withoutJobs && options.inProcessConcurrency === 0) {
      progress(`Enqueuing ${measuredGrants.length} expiry jobs, as an approval does`);
      for (let offset = 0; offset < measuredGrants.length; offset += SCHEDULE_CHUNK) {
        const chunk = measuredGrants.slice(offset, offset + SCHEDULE_CHUNK);
        await db.$transaction(
          async (tx) => {
            for (const grant of chunk) await scheduleGrantExpiry(tx, grant);
          },
          { timeout: 60_000 },
        );
      }
    }

    const roleCount = await countLoginRoles(monitor, measuredGrants.map((grant) => grant.id));
    if (roleCount !== measuredGrants.length) {
      throw new Error(`${roleCount} of ${measuredGrants.length} login roles exist at the target after activation, but all of them should`);
    }
    const creationSeconds = (Date.now() - creationStartedAt) / 1000;

    progress(`Expiring ${probeGrants.length} probe grants one at a time in this process`);
    const probe = await measureProbeExpiries(portal, probeGrants, profiler);

    const monitorInput = {
      grantIds: measuredGrants.map((grant) => grant.id),
      portalDatabase: portal.portalDatabase,
      managerRole: portal.managerRole,
      endsAt: endsAt.getTime(),
      pollMs: options.pollMs,
      deadline: endsAt.getTime() + options.maxWaitSeconds * 1000,
      shouldStop: () => stopRequested,
      progress,
    };
    const workers: WorkerHandle[] = [];
    const inProcessOutcomes: Record<string, number> = {};
    let progressState: ProgressState;
    let workerReadyAt: number;

    if (options.inProcessConcurrency > 0) {
      workerReadyAt = Date.now();
      assertMarginBeforeEnd(endsAt, workerReadyAt);
      progress(`Waiting for the end at ${endsAt.toISOString()}, then expiring in this process, ${options.inProcessConcurrency} at a time`);
      const monitoring = monitorExpiry(monitor, monitorInput);
      await sleep(Math.max(0, endsAt.getTime() - Date.now()));
      await forEachConcurrently(measuredGrants, options.inProcessConcurrency, async (grant) => {
        if (stopRequested) return;
        const outcome = await expireGrant(grant.id);
        inProcessOutcomes[outcome] = (inProcessOutcomes[outcome] ?? 0) + 1;
      });
      progressState = await monitoring;
    } else {
      progress(`Starting ${options.workers} scripts/worker.ts process(es)`);
      for (let index = 0; index < options.workers; index++) {
        const worker = startWorker(options.workerPollingSeconds);
        workers.push(worker);
        portal.addCleanup(`stop worker process ${worker.child.pid}`, () => stopProcess(worker.child, WORKER_STOP_TIMEOUT_MS));
      }
      await Promise.all(workers.map((worker) => worker.ready));
      workerReadyAt = Date.now();
      assertMarginBeforeEnd(endsAt, workerReadyAt);

      progress(`Waiting for the end at ${endsAt.toISOString()}, then polling every ${options.pollMs} ms for up to ${options.maxWaitSeconds} s`);
      progressState = await monitorExpiry(monitor, monitorInput);

      await Promise.all(workers.map((worker) => stopProcess(worker.child, WORKER_STOP_TIMEOUT_MS)));
      await Promise.all(workers.map((worker) => worker.closed));
    }
    cleanupProblems.push(...(await portal.cleanUp()));

    return summarizeMassExpiry({
      startedAt,
      machine,
      options,
      postgresVersion,
      endsAt: endsAt.getTime(),
      creationSeconds,
      creationEndedAt: creationStartedAt + creationSeconds * 1000,
      workerReadyAt,
      progressState,
      probe,
      logs: workers.flatMap((worker) => worker.logs),
      stderrTail: workers.flatMap((worker) => worker.stderrTail),
      inProcessOutcomes,
      cleanupProblems,
    });
  } finally {
    if (portal) cleanupProblems.push(...(await portal.cleanUp()));
    process.off("SIGINT", stopOnSignal);
    process.off("SIGTERM", stopOnSignal);
    if (cleanupProblems.length > 0) {
      progress(`Cleanup problems, remove these by hand:\n  ${cleanupProblems.join("\n  ")}`);
    }
  }
}

function assertMarginBeforeEnd(endsAt: Date, readyAt: number): void {
  const marginSeconds = (endsAt.getTime() - readyAt) / 1000;
  if (marginSeconds * 1000 < MIN_MARGIN_BEFORE_END_MS) {
    const when = marginSeconds >= 0 ? `${marginSeconds.toFixed(1)} s before` : `${(-marginSeconds).toFixed(1)} s after`;
    throw new Error(
      `creation and worker start finished ${when} the grants' end at ${endsAt.toISOString()}, but the margin must be at least ${MIN_MARGIN_BEFORE_END_MS / 1000} s. Raise --lead-seconds.`,
    );
  }
}

async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

async function countLoginRoles(monitor: pg.Client, grantIds: string[]): Promise<number> {
  const { rows } = await monitor.query<{ count: number }>(
    `SELECT count(*)::int AS count
       FROM "Grant" g JOIN pg_roles r ON r.rolname = g."targetName"
      WHERE g.id = ANY($1)`,
    [grantIds],
  );

  return rows[0]?.count ?? 0;
}

type ProbeResult = MassExpiryResult["probe"];

/**
 * Expires each probe grant with expireGrant() as if its end had passed, one after the other. The
 * query profiler splits each call into the fresh management connection, the statements at the
 * target (ALTER ROLE, the terminate checks, DROP ROLE) and the portal round trips. The rest is
 * time outside any round trip, mostly the wait between terminate checks.
 */
async function measureProbeExpiries(portal: BenchPortal, grants: GrantRow[], profiler: ReturnType<typeof installQueryProfiler>): Promise<ProbeResult> {
  const totals: number[] = [];
  const connect: number[] = [];
  const statements: number[] = [];
  const statementCounts: number[] = [];
  const portalQueries: number[] = [];
  const duration = (event: { startedAt: number; endedAt: number }) => event.endedAt - event.startedAt;

  for (const grant of grants) {
    profiler.clear();
    const calledAt = performance.now();
    const outcome = await portal.app.expireGrantNow(grant.id);
    const total = performance.now() - calledAt;
    if (outcome !== "ended") throw new Error(`probe grant ${grant.id} was not expired: expireGrant returned ${outcome}`);

    const events = profiler.eventsSince(calledAt);
    const targetQueries = events.filter((event) => event.role === "target" && event.kind === "query");
    totals.push(total);
    connect.push(events.filter((event) => event.role === "target" && event.kind === "connect").reduce((sum, event) => sum + duration(event), 0));
    statements.push(targetQueries.reduce((sum, event) => sum + duration(event), 0));
    statementCounts.push(targetQueries.length);
    portalQueries.push(events.filter((event) => event.role === "portal" && event.kind === "query").reduce((sum, event) => sum + duration(event), 0));
  }

  const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length);
  const meanTotal = mean(totals);

  return {
    expireGrant: summarize(totals),
    meanTargetConnectMs: mean(connect),
    meanTargetStatementsMs: mean(statements),
    meanTargetStatements: mean(statementCounts),
    meanPortalQueryMs: mean(portalQueries),
    meanOtherMs: meanTotal === null ? null : meanTotal - mean(connect)! - mean(statements)! - mean(portalQueries)!,
  };
}

type WorkerHandle = {
  child: ChildProcess;
  /** Resolves when the worker logs "worker started". */
  ready: Promise<void>;
  /** Resolves when the child has exited and its output is read. */
  closed: Promise<void>;
  logs: WorkerLogLine[];
  stderrTail: string[];
};

// Only these lines are kept, and the rest of the debug output is dropped as it arrives.
const KEPT_MESSAGES = new Set(["worker started", "grant ended", "expiry job done", "sweep finished", "reconcile repaired drift", "reconcile finished with failures"]);
const PINO_WARN = 40;

/** Starts scripts/worker.ts with this process's settings and LOG_LEVEL=debug, and reads its log lines. */
function startWorker(pollingSeconds: number): WorkerHandle {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LOG_LEVEL: "debug", WORKER_POLLING_SECONDS: String(pollingSeconds) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: WorkerLogLine[] = [];
  const stderrTail: string[] = [];

  let markReady: () => void = () => undefined;
  let failReady: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const timer = setTimeout(() => failReady(new Error(`the worker did not log "worker started" within ${WORKER_START_TIMEOUT_MS / 1000} s`)), WORKER_START_TIMEOUT_MS);
  void ready.finally(() => clearTimeout(timer)).catch(() => undefined);

  createInterface({ input: child.stdout! }).on("line", (line) => {
    let entry: WorkerLogLine;
    try {
      entry = JSON.parse(line) as WorkerLogLine;
    } catch {
      keepLast(stderrTail, `stdout: ${line}`);

      return;
    }
    if (entry.msg === "worker started") markReady();
    if (KEPT_MESSAGES.has(entry.msg) || entry.level >= PINO_WARN) logs.push(entry);
  });
  createInterface({ input: child.stderr! }).on("line", (line) => keepLast(stderrTail, line));

  const closed = new Promise<void>((resolve) => {
    child.once("close", (code, signal) => {
      failReady(new Error(`the worker exited before it started (${signal ?? `code ${code}`}). Its last output:\n${stderrTail.join("\n")}`));
      resolve();
    });
  });

  return { child, ready, closed, logs, stderrTail };
}

function keepLast(lines: string[], line: string): void {
  lines.push(line);
  if (lines.length > MAX_KEPT_STDERR_LINES) lines.shift();
}

type ProgressState = {
  /** Date.now() of the poll that first saw each state, by grant id. */
  expiredAt: Map<string, number>;
  roleGoneAt: Map<string, number>;
  doneAt: Map<string, number>;
  samples: number;
  samplesWithRowLockWaits: number;
  samplesWithAdvisoryLockWaits: number;
  maxLockWaits: number;
  managerSessions: number[];
};

/**
 * Polls the portal database until every grant is EXPIRED with its login role gone, or until the
 * deadline. pg_roles is shared by all databases on the server, so one query on the portal database
 * reads both. Each poll also samples pg_stat_activity for portal backends waiting for a lock and
 * for open connections of the manager role, which is how many expiries run at the target at once.
 */
async function monitorExpiry(
  monitor: pg.Client,
  input: {
    grantIds: string[];
    portalDatabase: string;
    managerRole: string;
    endsAt: number;
    pollMs: number;
    deadline: number;
    shouldStop: () => boolean;
    progress: (message: string) => void;
  },
): Promise<ProgressState> {
  const state: ProgressState = {
    expiredAt: new Map(),
    roleGoneAt: new Map(),
    doneAt: new Map(),
    samples: 0,
    samplesWithRowLockWaits: 0,
    samplesWithAdvisoryLockWaits: 0,
    maxLockWaits: 0,
    managerSessions: [],
  };
  let pending = [...input.grantIds];

  // Start one poll interval before the end, so an expiry before the end would be seen.
  await sleep(Math.max(0, input.endsAt - input.pollMs - Date.now()));
  let lastReport = Date.now();

  while (pending.length > 0 && Date.now() < input.deadline && !input.shouldStop()) {
    const { rows } = await monitor.query<{ id: string; status: string; role_exists: boolean }>(
      `SELECT g.id, g.status::text AS status, EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = g."targetName") AS role_exists
         FROM "Grant" g
        WHERE g.id = ANY($1)`,
      [pending],
    );
    const { rows: activity } = await monitor.query<{ lock_waits: number; row_lock_waits: number; advisory_lock_waits: number; manager_sessions: number }>(
      `SELECT count(*) FILTER (WHERE datname = $1 AND wait_event_type = 'Lock')::int AS lock_waits,
              count(*) FILTER (WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple'))::int AS row_lock_waits,
              count(*) FILTER (WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory')::int AS advisory_lock_waits,
              count(*) FILTER (WHERE usename = $2)::int AS manager_sessions
         FROM pg_stat_activity`,
      [input.portalDatabase, input.managerRole],
    );
    const seenAt = Date.now();

    for (const row of rows) {
      if (row.status === "EXPIRED" && !state.expiredAt.has(row.id)) state.expiredAt.set(row.id, seenAt);
      if (!row.role_exists && !state.roleGoneAt.has(row.id)) state.roleGoneAt.set(row.id, seenAt);
      if (state.expiredAt.has(row.id) && state.roleGoneAt.has(row.id)) state.doneAt.set(row.id, seenAt);
    }
    pending = pending.filter((id) => !state.doneAt.has(id));

    const sample = activity[0];
    if (seenAt >= input.endsAt && sample) {
      state.samples++;
      if (sample.row_lock_waits > 0) state.samplesWithRowLockWaits++;
      if (sample.advisory_lock_waits > 0) state.samplesWithAdvisoryLockWaits++;
      state.maxLockWaits = Math.max(state.maxLockWaits, sample.lock_waits);
      state.managerSessions.push(sample.manager_sessions);
    }
    if (seenAt - lastReport >= 10_000) {
      input.progress(`  ${((seenAt - input.endsAt) / 1000).toFixed(0)} s after the end: ${input.grantIds.length - pending.length}/${input.grantIds.length} expired and dropped`);
      lastReport = seenAt;
    }
    if (pending.length > 0) await sleep(input.pollMs);
  }

  return state;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function summarizeMassExpiry(input: {
  startedAt: Date;
  machine: MachineInfo;
  options: MassExpiryOptions;
  postgresVersion: string;
  endsAt: number;
  creationSeconds: number;
  creationEndedAt: number;
  workerReadyAt: number;
  progressState: ProgressState;
  probe: ProbeResult;
  logs: WorkerLogLine[];
  stderrTail: string[];
  inProcessOutcomes: Record<string, number>;
  cleanupProblems: string[];
}): MassExpiryResult {
  const { options, progressState, endsAt, logs } = input;
  const sinceEnd = (times: Map<string, number>) => [...times.values()].map((time) => time - endsAt);
  const endToDone = summarize(sinceEnd(progressState.doneAt));
  const notDone = options.grants - progressState.doneAt.size;

  const ended = logs.filter((line) => line.msg === "grant ended" && line.status === "EXPIRED").map((line) => line.time).sort((a, b) => a - b);
  const workerGrantsPerSecond = ended.length >= 2 ? (ended.length - 1) / ((ended[ended.length - 1]! - ended[0]!) / 1000) : null;

  const expiryJobOutcomes: Record<string, number> = {};
  const jobEndedTimes: number[] = [];
  for (const line of logs.filter((entry) => entry.msg === "expiry job done")) {
    const outcome = String(line.outcome);
    expiryJobOutcomes[outcome] = (expiryJobOutcomes[outcome] ?? 0) + 1;
    if (outcome === "ended") jobEndedTimes.push(line.time);
  }
  jobEndedTimes.sort((a, b) => a - b);
  const expiryJobGap = summarize(jobEndedTimes.slice(1).map((time, index) => time - jobEndedTimes[index]!));

  const secondsAfterEnd = (time: number) => Math.round((time - endsAt) / 100) / 10;
  const sweepRuns = logs
    .filter((line) => line.msg === "sweep finished")
    .map((line) => ({ secondsAfterEnd: secondsAfterEnd(line.time), expired: Number(line.expired ?? 0), errors: Number(line.errors ?? 0) }));
  const reconcileRuns = logs
    .filter((line) => line.msg === "reconcile repaired drift" || line.msg === "reconcile finished with failures")
    .map((line) => {
      const repairs = Array.isArray(line.repairs) ? (line.repairs as { repair?: string }[]) : [];

      return {
        secondsAfterEnd: secondsAfterEnd(line.time),
        expiredOverdue: repairs.filter((repair) => repair.repair === "expired-overdue-grant").length,
        failures: Array.isArray(line.failures) ? line.failures.length : 0,
      };
    });

  const workerWarnings: Record<string, number> = {};
  for (const line of logs.filter((entry) => entry.level >= PINO_WARN)) {
    const error = line.err as { message?: string } | undefined;
    const key = error?.message ? `${line.msg}: ${error.message}` : line.msg;
    workerWarnings[key] = (workerWarnings[key] ?? 0) + 1;
  }

  const managerSessions = progressState.managerSessions;
  const maxMs = endToDone?.max ?? null;

  return {
    benchmark: "mass-expiry",
    startedAt: input.startedAt.toISOString(),
    machine: input.machine,
    loadAverageAtEnd: describeMachine().loadAverage,
    postgres: { server: describeDatabaseUrl(options.serverUrl), version: input.postgresVersion },
    options,
    endsAt: new Date(endsAt).toISOString(),
    creation: {
      seconds: input.creationSeconds,
      grantsPerSecond: (options.grants + options.probe) / input.creationSeconds,
      secondsBeforeEnd: (endsAt - input.creationEndedAt) / 1000,
    },
    workerReadySecondsBeforeEnd: (endsAt - input.workerReadyAt) / 1000,
    endToDone,
    endToExpiredStatus: summarize(sinceEnd(progressState.expiredAt)),
    endToRoleGone: summarize(sinceEnd(progressState.roleGoneAt)),
    doneWithinTarget: sinceEnd(progressState.doneAt).filter((ms) => ms <= MASS_EXPIRY_TARGET_MS).length,
    notDone,
    expiredBeforeEnd: sinceEnd(progressState.expiredAt).filter((ms) => ms < 0).length,
    lastDoneSeconds: notDone === 0 && maxMs !== null ? maxMs / 1000 : null,
    workerGrantsPerSecond,
    probe: input.probe,
    attribution: {
      expiryJobs: expiryJobOutcomes.ended ?? 0,
      sweep: sweepRuns.reduce((sum, run) => sum + run.expired, 0),
      reconcile: reconcileRuns.reduce((sum, run) => sum + run.expiredOverdue, 0),
    },
    expiryJobOutcomes,
    sweepRuns,
    reconcileRuns,
    expiryJobGap,
    monitor: {
      samples: progressState.samples,
      samplesWithRowLockWaits: progressState.samplesWithRowLockWaits,
      samplesWithAdvisoryLockWaits: progressState.samplesWithAdvisoryLockWaits,
      maxLockWaits: progressState.maxLockWaits,
      maxManagerSessions: managerSessions.length === 0 ? 0 : Math.max(...managerSessions),
      meanManagerSessions: managerSessions.length === 0 ? null : managerSessions.reduce((sum, value) => sum + value, 0) / managerSessions.length,
    },
    inProcessOutcomes: input.inProcessOutcomes,
    workerWarnings,
    workerStderrTail: input.stderrTail.filter((line) => !isNodeVersionNotice(line)),
    target: {
      limitMs: MASS_EXPIRY_TARGET_MS,
      count: options.grants,
      maxMs,
      met: notDone === 0 && maxMs !== null && maxMs <= MASS_EXPIRY_TARGET_MS,
    },
    cleanupProblems: input.cleanupProblems,
  };
}

/** Matches the multi-line notice about Node 20 that the AWS SDK prints on stderr at import, which is not about the run. */
function isNodeVersionNotice(line: string): boolean {
  return /NodeVersionSupportWarning|versions published after|will require node|continue receiving updates|security updates please upgrade|^\s*$/.test(line);
}

export function formatMassExpiryReport(result: MassExpiryResult): string {
  const { machine, options } = result;
  const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? "-" : (ms / 1000).toFixed(1));
  const lines = [
    `Mass expiry: ${options.grants} grants on one POSTGRES resource ending at ${result.endsAt}; ${describeMode(options)}`,
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.totalMemoryMb} MB, Node ${machine.node}; PostgreSQL ${result.postgres.version} at ${result.postgres.server}`,
    `Load average (1, 5, 15 min): ${formatLoadAverage(machine.loadAverage)} at start, ${formatLoadAverage(result.loadAverageAtEnd)} at end`,
    `Creation: ${result.creation.seconds.toFixed(1)} s (${result.creation.grantsPerSecond.toFixed(0)} grants/s, ${options.activateConcurrency} activations at once), ended ${result.creation.secondsBeforeEnd.toFixed(1)} s before the end`,
    options.inProcessConcurrency > 0
      ? `Expired by: this process, expireGrant() ${options.inProcessConcurrency} at a time from the end (no worker); outcomes: ${formatCounts(result.inProcessOutcomes)}`
      : `Expired by: ${options.workers} worker process(es), ready ${result.workerReadySecondsBeforeEnd.toFixed(1)} s before the end (WORKER_POLLING_SECONDS=${options.workerPollingSeconds})`,
    "",
    `From the end to EXPIRED and login role dropped (seconds; polled every ${options.pollMs} ms):`,
    renderTable(
      ["", "n", "min s", "p50 s", "p95 s", "p99 s", "max s"],
      [
        ["EXPIRED and role dropped", result.endToDone],
        ["  status EXPIRED", result.endToExpiredStatus],
        ["  role dropped", result.endToRoleGone],
      ].map(([label, summary]) => {
        const value = summary as Summary | null;

        return [label as string, String(value?.count ?? 0), ...[value?.min, value?.p50, value?.p95, value?.p99, value?.max].map(seconds)];
      }),
    ),
    `Done within ${MASS_EXPIRY_TARGET_MS / 1000} s of the end: ${result.doneWithinTarget}/${options.grants}; last one after ${result.lastDoneSeconds === null ? `- (${result.notDone} not done after ${options.maxWaitSeconds} s)` : `${result.lastDoneSeconds.toFixed(1)} s`}`,
    `Worker throughput between its first and last expiry: ${result.workerGrantsPerSecond === null ? "-" : `${result.workerGrantsPerSecond.toFixed(1)} grants/s`}`,
    "",
    "Who expired the grants (from the worker's log lines; none with --in-process-concurrency):",
    `  expiry jobs ${result.attribution.expiryJobs}, sweep ${result.attribution.sweep}, reconcile ${result.attribution.reconcile}; expiry job outcomes: ${formatCounts(result.expiryJobOutcomes)}`,
    `  sweep runs that changed something (s after the end: expired): ${result.sweepRuns.map((run) => `${run.secondsAfterEnd}: ${run.expired}${run.errors > 0 ? ` (${run.errors} errors)` : ""}`).join(", ") || "none"}`,
    `  reconcile runs that repaired something (s after the end: expired overdue): ${result.reconcileRuns.map((run) => `${run.secondsAfterEnd}: ${run.expiredOverdue}${run.failures > 0 ? ` (${run.failures} failures)` : ""}`).join(", ") || "none"}`,
    "",
    "Where the time goes:",
    renderTable(SUMMARY_HEADER, [
      summaryRow("one expireGrant() alone, in this process", result.probe.expireGrant),
      summaryRow("gap between expiry jobs, all workers", result.expiryJobGap),
    ]),
    `  one expireGrant() alone, mean ms: management connect ${formatMs(result.probe.meanTargetConnectMs)}, ${result.probe.meanTargetStatements?.toFixed(1) ?? "-"} target statements ${formatMs(result.probe.meanTargetStatementsMs)}, portal round trips ${formatMs(result.probe.meanPortalQueryMs)}, outside round trips (waits between terminate checks, CPU) ${formatMs(result.probe.meanOtherMs)}`,
    `  ${options.grants} x p50 of one expireGrant() alone: ${seconds(result.probe.expireGrant ? result.probe.expireGrant.p50 * options.grants : null)} s if done one at a time`,
    `  monitor samples after the end: ${result.monitor.samples}; with a portal backend waiting for a row lock: ${result.monitor.samplesWithRowLockWaits}, for an advisory lock: ${result.monitor.samplesWithAdvisoryLockWaits} (max ${result.monitor.maxLockWaits} lock waits at once)`,
    `  manager connections at the target (expiries in flight): max ${result.monitor.maxManagerSessions}, mean ${result.monitor.meanManagerSessions?.toFixed(2) ?? "-"}`,
  ];
  if (Object.keys(result.workerWarnings).length > 0) lines.push(`Worker warnings and errors: ${formatCounts(result.workerWarnings)}`);
  if (result.workerStderrTail.length > 0) lines.push(`Worker stderr (last lines): ${result.workerStderrTail.join(" | ")}`);
  if (result.expiredBeforeEnd > 0) lines.push(`Expired before their end: ${result.expiredBeforeEnd}`);
  if (result.cleanupProblems.length > 0) lines.push(`Cleanup problems: ${result.cleanupProblems.join("; ")}`);
  lines.push("", formatMassExpiryVerdict(result));

  return lines.join("\n");
}

function describeMode(options: MassExpiryOptions): string {
  if (options.inProcessConcurrency > 0) return `expireGrant() ${options.inProcessConcurrency} at a time in this process, no worker`;
  if (options.withoutJobs) return `no per-grant expiry jobs, so the sweep and reconcile of ${options.workers} worker(s) only`;

  return `per-grant expiry jobs, ${options.workers} worker(s)`;
}

function formatCounts(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .map(([key, count]) => `${key} ${count}`)
      .join(", ") || "none"
  );
}

export function formatMassExpiryVerdict(result: MassExpiryResult): string {
  const { target } = result;
  const measured = result.notDone > 0 ? `${result.notDone} not done after ${result.options.maxWaitSeconds} s` : `last after ${((target.maxMs ?? 0) / 1000).toFixed(1)} s`;

  return `${target.met ? "PASS" : "MISS"} ${target.count} grants EXPIRED and roles dropped within ${target.limitMs / 1000} s of their end (${describeMode(result.options)}): ${measured}`;
}

runBenchmarkCli({
  name: "mass-expiry",
  moduleUrl: import.meta.url,
  help: HELP,
  parse: parseMassExpiryArgs,
  run: runMassExpiry,
  format: formatMassExpiryReport,
  failed: (result) => result.cleanupProblems.length > 0,
});
