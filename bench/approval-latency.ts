// Measures the time from an approval to ready credentials: reviewRequest(APPROVE) on a request that
// starts now, until the grant is ACTIVE and, for a PostgreSQL resource, its login role exists.
// It runs the portal's own modules in this process against a throwaway portal database and a
// throwaway warehouse target on a local PostgreSQL server, and drops both afterwards.
//
//   node --conditions=react-server --import tsx bench/approval-latency.ts [--approvals N] [--json]
//
// Run with --help for every option. The figures are printed, not asserted: the exit code is 0
// whether or not the target is met, and 1 only when the benchmark itself fails.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import pg from "pg";

import { scramSha256Verifier } from "../lib/backends/postgres-login/password";
import { prepareWarehouse } from "../lib/demo/warehouse";
import {
  applyMigrations,
  createDatabase,
  describeDatabaseUrl,
  dropDatabase,
  uniqueDatabaseName,
  withDatabaseName,
} from "../scripts/lib/migrations";

import { describeMachine, describeRevision, formatLoadAverage, formatRevision, type MachineInfo, type RevisionInfo } from "./lib/machine";
import { installQueryProfiler, type QueryEvent } from "./lib/query-profiler";
import { runBenchmarkCli } from "./lib/cli";
import { formatMs, formatRatio, renderTable, summarize, summaryRow, SUMMARY_HEADER, type Summary } from "./lib/stats";

/** Project target (a): p95 from approval to ready credentials, for grants that start now. */
export const APPROVAL_TARGET_P95_MS = 250;
/** Project target (a) counts only runs of at least this many approvals. */
export const APPROVAL_TARGET_MIN_COUNT = 100;

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;
const BENCH_APPLICATION_PREFIX = "vap-bench";
const KINDS = ["POSTGRES", "S3_PRESIGN"] as const;
type ResourceKind = (typeof KINDS)[number];

// Every login role the portal creates starts with this (LOGIN_ROLE_PREFIX in role-name.ts).
const LOGIN_ROLE_PREFIX = "vap_g_";
const GRANT_DURATION_MINUTES = "60";
const READY_POLL_MS = 20;
const WORKER_STOP_TIMEOUT_MS = 15_000;

export type ApprovalLatencyOptions = {
  approvals: number;
  warmup: number;
  serverUrl: string;
  /** Upper bound for the measured loop, in seconds. The loop stops early when it is reached. */
  maxSeconds: number;
  /** How long to wait for a grant that is not ACTIVE when reviewRequest returns, in ms. */
  readyTimeoutMs: number;
  /** Runs scripts/worker.ts beside the benchmark, as `npm run dev` does. */
  withWorker: boolean;
  /** Prints every round trip of the first measured approval of each kind to stderr. */
  showStatements: boolean;
};

export type Breakdown = {
  reviewTransactionMs: number | null;
  activationMs: number | null;
  targetConnectMs: number;
  targetStatementMs: number;
  portalRoundTrips: number;
  portalQueryMs: number;
  outsideQueriesMs: number;
};

type BreakdownSummary = Record<keyof Breakdown, { mean: number | null; p95: number | null }>;

export type ApprovalLatencyResult = {
  benchmark: "approval-latency";
  startedAt: string;
  machine: MachineInfo;
  revision: RevisionInfo;
  loadAverageAtEnd: [number, number, number];
  postgres: { server: string; version: string };
  options: ApprovalLatencyOptions;
  measuredApprovals: number;
  stoppedEarly: string | null;
  coldApprovalsMs: number[];
  approvalToReady: { all: Summary | null; POSTGRES: Summary | null; S3_PRESIGN: Summary | null };
  notReady: number;
  readyOnlyAfterPolling: number;
  verifyRead: Summary | null;
  credentialIssue: { POSTGRES: Summary | null; S3_PRESIGN: Summary | null };
  expiry: { POSTGRES: Summary | null; S3_PRESIGN: Summary | null };
  breakdown: { POSTGRES: BreakdownSummary | null; S3_PRESIGN: BreakdownSummary | null };
  /** Portal database round trips per approval by statement keyword: mean count and mean total ms. */
  portalStatements: { POSTGRES: StatementMix; S3_PRESIGN: StatementMix };
  baseline: {
    createRole: Summary | null;
    dropRole: Summary | null;
    prismaTransaction: Summary | null;
    scramVerifier: Summary | null;
  };
  ratios: {
    postgresToCreateRole: { p50: number | null; p95: number | null };
    postgresToFloor: { p50: number | null; p95: number | null };
    s3ToTransactions: { p50: number | null; p95: number | null };
  };
  target: { p95LimitMs: number; minimumCount: number; p95Ms: number | null; count: number; met: boolean };
  cleanupProblems: string[];
};

type StatementMix = Record<string, { count: number; ms: number }>;

type Sample = {
  kind: ResourceKind;
  readyMs: number;
  returnedMs: number;
  verifyMs: number;
  breakdown: Breakdown;
  statements: StatementMix;
};

const HELP = `Usage: node --conditions=react-server --import tsx bench/approval-latency.ts [options]

Measures approval -> ready credentials with the portal's own modules against a throwaway
portal database and warehouse on the PostgreSQL server at TEST_POSTGRES_URL
(default ${DEFAULT_SERVER_URL}; it must be on this machine and accept a superuser).

Options:
  --approvals N      measured approvals, alternating POSTGRES and S3_PRESIGN (default 120)
  --warmup N         approvals before measuring, reported apart (default 4)
  --max-seconds S    stop the measured loop after S seconds (default 600)
  --ready-timeout-ms MS
                     wait this long for a grant that is not ACTIVE when reviewRequest
                     returns before counting it as not ready (default 10000)
  --with-worker      run scripts/worker.ts beside the benchmark, as npm run dev does
  --show-statements  print each round trip of the first measured approval of each
                     kind (SQL text without bind values) to stderr
  --json             print the results as JSON instead of tables
  --help             print this text
`;

export function parseApprovalLatencyArgs(argv: string[]): { options: ApprovalLatencyOptions; json: boolean; help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      approvals: { type: "string", default: "120" },
      warmup: { type: "string", default: "4" },
      "max-seconds": { type: "string", default: "600" },
      "ready-timeout-ms": { type: "string", default: "10000" },
      "with-worker": { type: "boolean", default: false },
      "show-statements": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });

  return {
    options: {
      approvals: parsePositiveInteger("--approvals", values.approvals, 1, 10_000),
      warmup: parsePositiveInteger("--warmup", values.warmup, 0, 100),
      maxSeconds: parsePositiveInteger("--max-seconds", values["max-seconds"], 1, 3600),
      readyTimeoutMs: parsePositiveInteger("--ready-timeout-ms", values["ready-timeout-ms"], 0, 120_000),
      withWorker: values["with-worker"],
      showStatements: values["show-statements"],
      serverUrl: process.env.TEST_POSTGRES_URL || DEFAULT_SERVER_URL,
    },
    json: values.json,
    help: values.help,
  };
}

function parsePositiveInteger(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${flag} ${text} is invalid: expected a whole number from ${min} to ${max}`);
  }

  return value;
}

/** Runs the benchmark and removes everything it created, also when it fails part-way. */
export async function runApprovalLatency(options: ApprovalLatencyOptions, progress: (message: string) => void): Promise<ApprovalLatencyResult> {
  assertLocalServer(options.serverUrl);
  const startedAt = new Date();
  const machine = describeMachine();
  const revision = describeRevision(PROJECT_ROOT);

  const suffix = randomBytes(4).toString("hex");
  const portalDatabase = uniqueDatabaseName("vap_bench");
  const portalUrl = withDatabaseName(options.serverUrl, portalDatabase);
  const warehouseDatabase = `vap_bench_wh_${suffix}`;
  const groupRole = `vap_bench_ro_${suffix}`;
  const managerRole = `vap_bench_mgr_${suffix}`;
  const managementSetting = `VAP_BENCH_${suffix.toUpperCase()}_URL`;
  const baselineRolePrefix = `${LOGIN_ROLE_PREFIX}bench_${suffix}_`;

  const cleanups: { label: string; run: () => Promise<void> }[] = [];
  const cleanupProblems: string[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        cleanupProblems.push(`${cleanup.label}: ${(error as Error).message}`);
      }
    }
    cleanups.length = 0;
  };

  let stopRequested: string | null = null;
  const stopOnSignal = () => {
    stopRequested = "interrupted by a signal";
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);

  try {
    progress(`Creating portal database ${portalDatabase} and warehouse ${warehouseDatabase} on ${describeDatabaseUrl(options.serverUrl)}`);
    await createDatabase(options.serverUrl, portalDatabase);
    cleanups.push({ label: `drop database ${portalDatabase}`, run: () => dropDatabase(options.serverUrl, portalDatabase) });
    await applyMigrations(portalUrl);

    cleanups.push({
      label: `drop warehouse ${warehouseDatabase} and its roles`,
      run: () => dropWarehouse(options.serverUrl, { warehouseDatabase, groupRole, managerRole, baselineRolePrefix }),
    });
    const managementUrl = await prepareWarehouse({
      superuserUrl: options.serverUrl,
      database: warehouseDatabase,
      groupRole,
      managerRole,
      managerPassword: randomBytes(12).toString("hex"),
    });

    // lib/env.ts validates these when the first app module is imported below.
    process.env.DATABASE_URL = portalUrl;
    process.env.NEXTAUTH_SECRET = randomBytes(32).toString("base64url");
    process.env.NEXTAUTH_URL = "http://127.0.0.1:3000";
    process.env.LOG_LEVEL = "silent";
    process.env[managementSetting] = managementUrl;
    // Presigning is computed locally, so nothing is ever sent to this endpoint.
    process.env.S3_COMPAT_ENDPOINT = "http://127.0.0.1:9";
    process.env.S3_COMPAT_ACCESS_KEY_ID = "VAPBENCHACCESSKEY";
    process.env.S3_COMPAT_SECRET_ACCESS_KEY = randomBytes(24).toString("base64url");

    const profiler = installQueryProfiler({ portalDatabase, targetUser: managerRole, benchApplicationPrefix: BENCH_APPLICATION_PREFIX });
    const app = await importApp();
    cleanups.push({ label: "close the portal's connections", run: () => app.closeConnections() });

    const server = new URL(options.serverUrl);
    await app.applyPortalConfig(
      {
        vendors: [{ slug: `bench-${suffix}`, name: "Benchmark Vendor" }],
        users: [
          { email: `vendor-${suffix}@bench.example`, name: "Bench Vendor", role: "VENDOR", vendor: `bench-${suffix}`, initialPassword: "bench-password-0001" },
          { email: `approver-${suffix}@bench.example`, name: "Bench Approver", role: "APPROVER", initialPassword: "bench-password-0002" },
        ],
        resources: [
          {
            slug: `bench-wh-${suffix}`,
            name: "Benchmark warehouse",
            kind: "POSTGRES",
            config: {
              host: server.hostname,
              port: Number(server.port || 5432),
              database: warehouseDatabase,
              groupRole,
              managementUrlSetting: managementSetting,
            },
            accessLevels: ["read"],
            maxDurationMinutes: 240,
            vendors: [`bench-${suffix}`],
          },
          {
            slug: `bench-files-${suffix}`,
            name: "Benchmark files",
            kind: "S3_PRESIGN",
            config: { bucket: "vendor-exchange", prefixTemplate: "vendor-uploads/{vendor}/" },
            accessLevels: ["upload"],
            maxDurationMinutes: 240,
            vendors: [`bench-${suffix}`],
          },
        ],
      },
      { source: "approval benchmark", actorLabel: "system:bench" },
    );
    const vendor = await app.actorFor(`vendor-${suffix}@bench.example`);
    const approver = await app.actorFor(`approver-${suffix}@bench.example`);
    const resources: Record<ResourceKind, { id: string; accessLevel: string }> = {
      POSTGRES: { id: await app.resourceIdFor(`bench-wh-${suffix}`), accessLevel: "read" },
      S3_PRESIGN: { id: await app.resourceIdFor(`bench-files-${suffix}`), accessLevel: "upload" },
    };

    const verifier = new pg.Client({ connectionString: portalUrl, application_name: `${BENCH_APPLICATION_PREFIX}-verify` });
    verifier.on("error", () => undefined);
    await verifier.connect();
    cleanups.push({ label: "close the verify connection", run: () => verifier.end() });

    const grants: { id: string; kind: ResourceKind }[] = [];
    const approve = async (kind: ResourceKind) => {
      const request = await app.createStartNowRequest(vendor, resources[kind]);

      profiler.clear();
      const calledAt = performance.now();
      const outcome = await app.reviewRequest(approver, { requestId: request.id, decision: "APPROVE", comment: "" });
      const returnedAt = performance.now();
      if (!outcome.grantId) throw new Error(`request ${request.id} was approved without a grant (status ${outcome.requestStatus})`);
      grants.push({ id: outcome.grantId, kind });

      const ready = await waitUntilReady(verifier, outcome.grantId, kind, returnedAt, options.readyTimeoutMs);

      return {
        grantId: outcome.grantId,
        calledAt,
        returnedMs: returnedAt - calledAt,
        readyMs: ready.readyAt === null ? null : ready.readyAt - calledAt,
        verifyMs: ready.firstCheckMs,
        polled: ready.polled,
        events: profiler.eventsSince(calledAt).filter((event) => event.endedAt <= returnedAt),
      };
    };

    progress(`Warming up with ${options.warmup} approval(s); the first one starts pg-boss in this process`);
    const coldApprovalsMs: number[] = [];
    for (let index = 0; index < options.warmup; index++) {
      const result = await approve(KINDS[index % KINDS.length]!);
      coldApprovalsMs.push(result.returnedMs);
    }

    let worker: ChildProcess | null = null;
    if (options.withWorker) {
      worker = startWorkerProcess(progress);
      cleanups.push({ label: "stop the worker", run: () => stopProcess(worker!, WORKER_STOP_TIMEOUT_MS) });
    }

    const baselineVerifier = scramSha256Verifier(randomBytes(24).toString("base64url"));
    const samples: Sample[] = [];
    const baseline = { createRole: [] as number[], dropRole: [] as number[], prismaTransaction: [] as number[], scramVerifier: [] as number[] };
    const credentialIssue: Record<ResourceKind, number[]> = { POSTGRES: [], S3_PRESIGN: [] };
    let notReady = 0;
    let readyOnlyAfterPolling = 0;
    const deadline = performance.now() + options.maxSeconds * 1000;

    progress(`Measuring ${options.approvals} approvals, each followed by one round of the baseline operations`);
    for (let index = 0; index < options.approvals; index++) {
      if (stopRequested) break;
      if (performance.now() > deadline) {
        stopRequested = `stopped after ${index} approvals at the ${options.maxSeconds} s limit (--max-seconds)`;
        break;
      }
      const kind = KINDS[index % KINDS.length]!;
      const result = await approve(kind);
      if (options.showStatements && index < KINDS.length) progress(formatStatementTrace(kind, result.events, result.calledAt));
      if (result.readyMs === null) {
        notReady++;
      } else {
        if (result.polled) readyOnlyAfterPolling++;
        samples.push({
          kind,
          readyMs: result.readyMs,
          returnedMs: result.returnedMs,
          verifyMs: result.verifyMs,
          breakdown: breakDown(result.events, result.calledAt, result.returnedMs),
          statements: countPortalStatements(result.events),
        });
      }

      // The holder's first credential, which the vendor requests next. It is timed separately from the target.
      if (result.readyMs !== null) {
        const issueStartedAt = performance.now();
        if (kind === "POSTGRES") await app.issueDatabasePassword(vendor, result.grantId);
        else await app.issueUploadUrl(vendor, result.grantId, `bench-${index}.csv`);
        credentialIssue[kind].push(performance.now() - issueStartedAt);
      }

      const roleName = `${baselineRolePrefix}${index}`;
      baseline.createRole.push(await timeCreateRole(managementUrl, roleName, groupRole, baselineVerifier));
      baseline.dropRole.push(await timeDropRole(managementUrl, roleName));
      baseline.prismaTransaction.push(await app.timeTrivialTransaction());
      const verifierStartedAt = performance.now();
      scramSha256Verifier(randomBytes(24).toString("base64url"));
      baseline.scramVerifier.push(performance.now() - verifierStartedAt);

      if ((index + 1) % 20 === 0) progress(`  ${index + 1}/${options.approvals} approvals`);
    }

    if (worker) await stopProcess(worker, WORKER_STOP_TIMEOUT_MS);

    progress(`Expiring ${grants.length} grants`);
    const expiry: Record<ResourceKind, number[]> = { POSTGRES: [], S3_PRESIGN: [] };
    for (const grant of grants) {
      const expiryStartedAt = performance.now();
      const outcome = await app.expireGrantNow(grant.id);
      if (outcome === "ended") expiry[grant.kind].push(performance.now() - expiryStartedAt);
    }

    const postgresVersion = (await verifier.query<{ version: string }>("SELECT current_setting('server_version') AS version")).rows[0]?.version ?? "unknown";
    await runCleanups();

    const byKind = (kind: ResourceKind) => samples.filter((sample) => sample.kind === kind);
    const all = summarize(samples.map((sample) => sample.readyMs));
    const postgresReady = summarize(byKind("POSTGRES").map((sample) => sample.readyMs));
    const s3Ready = summarize(byKind("S3_PRESIGN").map((sample) => sample.readyMs));
    const baselineSummary = {
      createRole: summarize(baseline.createRole),
      dropRole: summarize(baseline.dropRole),
      prismaTransaction: summarize(baseline.prismaTransaction),
      scramVerifier: summarize(baseline.scramVerifier),
    };
    const ratio = (numerator: number | undefined, denominator: number | undefined) =>
      numerator === undefined || denominator === undefined || denominator <= 0 ? null : numerator / denominator;
    const floor = (percentile: "p50" | "p95") =>
      baselineSummary.createRole && baselineSummary.prismaTransaction
        ? baselineSummary.createRole[percentile] + 2 * baselineSummary.prismaTransaction[percentile]
        : undefined;
    const twoTransactions = (percentile: "p50" | "p95") =>
      baselineSummary.prismaTransaction ? 2 * baselineSummary.prismaTransaction[percentile] : undefined;

    const measuredApprovals = samples.length + notReady;

    return {
      benchmark: "approval-latency",
      startedAt: startedAt.toISOString(),
      machine,
      revision,
      loadAverageAtEnd: describeMachine().loadAverage,
      postgres: { server: describeDatabaseUrl(options.serverUrl), version: postgresVersion },
      options,
      measuredApprovals,
      stoppedEarly: stopRequested,
      coldApprovalsMs,
      approvalToReady: { all, POSTGRES: postgresReady, S3_PRESIGN: s3Ready },
      notReady,
      readyOnlyAfterPolling,
      verifyRead: summarize(samples.map((sample) => sample.verifyMs)),
      credentialIssue: { POSTGRES: summarize(credentialIssue.POSTGRES), S3_PRESIGN: summarize(credentialIssue.S3_PRESIGN) },
      expiry: { POSTGRES: summarize(expiry.POSTGRES), S3_PRESIGN: summarize(expiry.S3_PRESIGN) },
      breakdown: { POSTGRES: summarizeBreakdowns(byKind("POSTGRES")), S3_PRESIGN: summarizeBreakdowns(byKind("S3_PRESIGN")) },
      portalStatements: { POSTGRES: averageStatementMix(byKind("POSTGRES")), S3_PRESIGN: averageStatementMix(byKind("S3_PRESIGN")) },
      baseline: baselineSummary,
      ratios: {
        postgresToCreateRole: {
          p50: ratio(postgresReady?.p50, baselineSummary.createRole?.p50),
          p95: ratio(postgresReady?.p95, baselineSummary.createRole?.p95),
        },
        postgresToFloor: { p50: ratio(postgresReady?.p50, floor("p50")), p95: ratio(postgresReady?.p95, floor("p95")) },
        s3ToTransactions: { p50: ratio(s3Ready?.p50, twoTransactions("p50")), p95: ratio(s3Ready?.p95, twoTransactions("p95")) },
      },
      target: {
        p95LimitMs: APPROVAL_TARGET_P95_MS,
        minimumCount: APPROVAL_TARGET_MIN_COUNT,
        p95Ms: all?.p95 ?? null,
        count: measuredApprovals,
        // A grant that never became ready counts against the target however fast the others were.
        met: all !== null && notReady === 0 && measuredApprovals >= APPROVAL_TARGET_MIN_COUNT && all.p95 < APPROVAL_TARGET_P95_MS,
      },
      cleanupProblems,
    };
  } finally {
    await runCleanups();
    process.off("SIGINT", stopOnSignal);
    process.off("SIGTERM", stopOnSignal);
    if (cleanupProblems.length > 0) {
      progress(`Cleanup problems, remove these by hand:\n  ${cleanupProblems.join("\n  ")}`);
    }
  }
}

/** Imports the portal's modules. Called only after the settings in process.env are in place. */
export async function importApp() {
  const [{ applyPortalConfig }, { db }, { recordAudit, userActor }, { reviewRequest }, { expireGrant }, access, { stopBoss }] = await Promise.all([
    import("../lib/config/apply"),
    import("../lib/db"),
    import("../lib/audit"),
    import("../lib/reviews/service"),
    import("../lib/grants/lifecycle"),
    import("../lib/grants/access"),
    import("../lib/jobs/queue"),
  ]);
  type Actor = Parameters<typeof reviewRequest>[0];

  return {
    applyPortalConfig,
    reviewRequest,
    /**
     * Writes the rows that createRequest() in lib/requests/service.ts writes for "start now, for
     * GRANT_DURATION_MINUTES": a PENDING RELATIVE request and its request.created audit event.
     * NOTE: createRequest() itself cannot be loaded outside Next.js or vitest. It imports
     * lib/auth/session.ts, which imports next/navigation (under --conditions=react-server, React
     * has no createContext there) and next-auth providers by default import (plain Node gets the
     * CommonJS exports object, not the function). Keep this in step with createRequest().
     */
    async createStartNowRequest(actor: Actor, resource: { id: string; accessLevel: string }) {
      const durationMinutes = Number(GRANT_DURATION_MINUTES);

      return db.$transaction(async (tx) => {
        const request = await tx.accessRequest.create({
          data: {
            vendorId: actor.vendorId!,
            requesterId: actor.id,
            resourceId: resource.id,
            accessLevel: resource.accessLevel,
            windowKind: "RELATIVE",
            requestedStart: null,
            requestedEnd: null,
            durationMinutes,
            justification: "Benchmark run: approval to ready credentials.",
          },
        });
        await recordAudit(tx, {
          actor: userActor(actor),
          action: "request.created",
          subjectType: "request",
          subjectId: request.id,
          vendorId: request.vendorId,
          requestId: request.id,
          data: {
            resourceId: resource.id,
            accessLevel: resource.accessLevel,
            windowKind: "RELATIVE",
            requestedStart: null,
            requestedEnd: null,
            durationMinutes,
          },
        });

        return request;
      });
    },
    issueDatabasePassword: access.issueDatabasePassword,
    issueUploadUrl: access.issueUploadUrl,
    async actorFor(email: string): Promise<Actor> {
      const user = await db.user.findUniqueOrThrow({ where: { email }, include: { vendor: true } });

      return { id: user.id, email: user.email, name: user.name, role: user.role, vendorId: user.vendorId, vendorName: user.vendor?.name ?? null };
    },
    async resourceIdFor(slug: string): Promise<string> {
      return (await db.resource.findUniqueOrThrow({ where: { slug } })).id;
    },
    /** Expires a grant as its end had passed, which removes the login role at the target. */
    async expireGrantNow(grantId: string) {
      const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId } });

      return expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
    },
    async timeTrivialTransaction(): Promise<number> {
      const startedAt = performance.now();
      await db.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
      });

      return performance.now() - startedAt;
    },
    async closeConnections() {
      await stopBoss();
      await db.$disconnect();
    },
  };
}

/**
 * Reads the grant's status and, for PostgreSQL, whether its login role exists. When the grant is
 * not ready at the first read, reads again every READY_POLL_MS until `timeoutMs` has passed.
 * readyAt is the moment reviewRequest returned when the first read already finds the grant ready.
 */
async function waitUntilReady(client: pg.Client, grantId: string, kind: ResourceKind, returnedAt: number, timeoutMs: number) {
  const isReady = async () => {
    const { rows } = await client.query<{ status: string; role_exists: boolean }>(
      `SELECT g.status::text AS status,
              EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = g."targetName") AS role_exists
         FROM "Grant" g
        WHERE g.id = $1`,
      [grantId],
    );
    const row = rows[0];

    return row !== undefined && row.status === "ACTIVE" && (kind !== "POSTGRES" || row.role_exists);
  };

  const checkStartedAt = performance.now();
  const readyAtFirstCheck = await isReady();
  const firstCheckMs = performance.now() - checkStartedAt;
  if (readyAtFirstCheck) return { readyAt: returnedAt, firstCheckMs, polled: false };

  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    if (await isReady()) return { readyAt: performance.now(), firstCheckMs, polled: true };
  }

  return { readyAt: null, firstCheckMs, polled: true };
}

/**
 * Splits one approval into phases from the recorded round trips. The review transaction ends with
 * the first COMMIT on the portal database; everything after it is the inline activation.
 */
function breakDown(events: QueryEvent[], calledAt: number, totalMs: number): Breakdown {
  const portalQueries = events.filter((event) => event.role === "portal" && event.kind === "query");
  const firstCommit = portalQueries.filter((event) => event.statement === "COMMIT").sort((a, b) => a.endedAt - b.endedAt)[0];
  const duration = (event: QueryEvent) => event.endedAt - event.startedAt;
  const sum = (list: QueryEvent[]) => list.reduce((total, event) => total + duration(event), 0);
  const targetConnects = events.filter((event) => event.role === "target" && event.kind === "connect");
  const targetQueries = events.filter((event) => event.role === "target" && event.kind === "query");
  const reviewTransactionMs = firstCommit ? firstCommit.endedAt - calledAt : null;
  const portalQueryMs = sum(portalQueries);
  const targetConnectMs = sum(targetConnects);
  const targetStatementMs = sum(targetQueries);

  return {
    reviewTransactionMs,
    activationMs: reviewTransactionMs === null ? null : totalMs - reviewTransactionMs,
    targetConnectMs,
    targetStatementMs,
    portalRoundTrips: portalQueries.length,
    portalQueryMs,
    outsideQueriesMs: totalMs - portalQueryMs - targetConnectMs - targetStatementMs,
  };
}

function formatStatementTrace(kind: ResourceKind, events: QueryEvent[], calledAt: number): string {
  const rows = [...events]
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((event) => [formatMs(event.startedAt - calledAt), formatMs(event.endedAt - event.startedAt), event.role, event.text]);

  return `Round trips of one ${kind} approval:\n${renderTable(["start ms", "took ms", "database", "statement"], rows, [2, 3])}`;
}

function countPortalStatements(events: QueryEvent[]): StatementMix {
  const mix: StatementMix = {};
  for (const event of events) {
    if (event.role !== "portal" || event.kind !== "query") continue;
    const entry = (mix[event.statement] ??= { count: 0, ms: 0 });
    entry.count++;
    entry.ms += event.endedAt - event.startedAt;
  }

  return mix;
}

function averageStatementMix(samples: Sample[]): StatementMix {
  const total: StatementMix = {};
  for (const sample of samples) {
    for (const [statement, { count, ms }] of Object.entries(sample.statements)) {
      const entry = (total[statement] ??= { count: 0, ms: 0 });
      entry.count += count;
      entry.ms += ms;
    }
  }
  for (const entry of Object.values(total)) {
    entry.count /= Math.max(samples.length, 1);
    entry.ms /= Math.max(samples.length, 1);
  }

  return total;
}

function summarizeBreakdowns(samples: Sample[]): BreakdownSummary | null {
  if (samples.length === 0) return null;
  const keys: (keyof Breakdown)[] = [
    "reviewTransactionMs",
    "activationMs",
    "targetConnectMs",
    "targetStatementMs",
    "portalRoundTrips",
    "portalQueryMs",
    "outsideQueriesMs",
  ];

  return Object.fromEntries(
    keys.map((key) => {
      const summary = summarize(samples.map((sample) => sample.breakdown[key]).filter((value): value is number => value !== null));

      return [key, { mean: summary?.mean ?? null, p95: summary?.p95 ?? null }];
    }),
  ) as BreakdownSummary;
}

/** Connect, CREATE ROLE … LOGIN … IN ROLE and close over a fresh connection as the manager role. */
async function timeCreateRole(managementUrl: string, roleName: string, groupRole: string, verifier: string): Promise<number> {
  const validUntil = new Date(Date.now() + 60 * 60_000).toISOString();
  const statement = [
    `CREATE ROLE ${pg.escapeIdentifier(roleName)} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
    `CONNECTION LIMIT 5 PASSWORD ${pg.escapeLiteral(verifier)} VALID UNTIL ${pg.escapeLiteral(validUntil)}`,
    `IN ROLE ${pg.escapeIdentifier(groupRole)}`,
  ].join(" ");

  return timeOnFreshConnection(managementUrl, statement);
}

async function timeDropRole(managementUrl: string, roleName: string): Promise<number> {
  return timeOnFreshConnection(managementUrl, `DROP ROLE ${pg.escapeIdentifier(roleName)}`);
}

async function timeOnFreshConnection(url: string, statement: string): Promise<number> {
  const startedAt = performance.now();
  const client = new pg.Client({ connectionString: url, application_name: `${BENCH_APPLICATION_PREFIX}-baseline` });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }

  return performance.now() - startedAt;
}

/**
 * Drops the warehouse database first, because the group role has privileges in it, then every
 * login role in the group role (the portal's and the baseline's), then the group and manager roles.
 * Roles of other runs on the same server are not members of this run's group role, so they stay.
 */
export async function dropWarehouse(
  serverUrl: string,
  names: { warehouseDatabase: string; groupRole: string; managerRole: string; baselineRolePrefix: string },
): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl, application_name: `${BENCH_APPLICATION_PREFIX}-cleanup` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(names.warehouseDatabase)} WITH (FORCE)`);
    const { rows } = await admin.query<{ rolname: string }>(
      `SELECT r.rolname
         FROM pg_roles r
        WHERE r.rolname LIKE $1
          AND (starts_with(r.rolname, $3)
               OR EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                           WHERE m.member = r.oid AND g.rolname = $2))`,
      [`${LOGIN_ROLE_PREFIX.replaceAll("_", "\\_")}%`, names.groupRole, names.baselineRolePrefix],
    );
    for (const { rolname } of rows) {
      await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(rolname)}`);
    }
    for (const role of [names.managerRole, names.groupRole]) {
      await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    }
  } finally {
    await admin.end();
  }
}

function startWorkerProcess(progress: (message: string) => void): ChildProcess {
  progress("Starting scripts/worker.ts beside the benchmark (--with-worker)");
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WORKER_POLLING_SECONDS: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal === null) progress(`worker exited with code ${code}`);
  });

  return child;
}

/** Sends SIGTERM to the child's PID and SIGKILL after `timeoutMs` if it has not exited. */
export function stopProcess(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();

  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export function assertLocalServer(serverUrl: string): void {
  const host = new URL(serverUrl).hostname;
  if (host !== "" && !LOOPBACK_HOST.test(host)) {
    throw new Error(
      `TEST_POSTGRES_URL points at ${describeDatabaseUrl(serverUrl)}, which is not on this machine. The benchmark creates and drops databases and roles, so it only runs against localhost or 127.0.0.0/8.`,
    );
  }
}

export function formatApprovalReport(result: ApprovalLatencyResult): string {
  const lines: string[] = [];
  const { machine } = result;
  const kindCount = (kind: ResourceKind) => result.approvalToReady[kind]?.count ?? 0;

  lines.push(
    `Approval to ready credentials: ${result.measuredApprovals} measured approvals (${kindCount("POSTGRES")} POSTGRES, ${kindCount("S3_PRESIGN")} S3_PRESIGN ready), ${result.options.warmup} warm-up`,
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.totalMemoryMb} MB, Node ${machine.node}; PostgreSQL ${result.postgres.version} at ${result.postgres.server}`,
    `Load average (1, 5, 15 min): ${formatLoadAverage(machine.loadAverage)} at start, ${formatLoadAverage(result.loadAverageAtEnd)} at end`,
    `Code: ${formatRevision(result.revision)}, started ${result.startedAt}`,
    `Worker process beside the benchmark: ${result.options.withWorker ? "yes" : "no"}`,
    "",
    renderTable(SUMMARY_HEADER, [
      summaryRow("approval -> ready, all", result.approvalToReady.all),
      summaryRow("  POSTGRES (login role created)", result.approvalToReady.POSTGRES),
      summaryRow("  S3_PRESIGN (URL issuable)", result.approvalToReady.S3_PRESIGN),
      summaryRow("verify read after return (separate)", result.verifyRead),
      summaryRow("first DB password issue (separate)", result.credentialIssue.POSTGRES),
      summaryRow("first upload URL issue (separate)", result.credentialIssue.S3_PRESIGN),
      summaryRow("expireGrant, POSTGRES", result.expiry.POSTGRES),
      summaryRow("expireGrant, S3_PRESIGN", result.expiry.S3_PRESIGN),
    ]),
    "",
    "Baseline, measured in the same loop without the portal:",
    renderTable(SUMMARY_HEADER, [
      summaryRow("connect + CREATE ROLE … IN ROLE + close", result.baseline.createRole),
      summaryRow("connect + DROP ROLE + close", result.baseline.dropRole),
      summaryRow("Prisma transaction (SELECT 1)", result.baseline.prismaTransaction),
      summaryRow("SCRAM-SHA-256 verifier (Node CPU)", result.baseline.scramVerifier),
    ]),
    "",
    renderTable(
      ["ratio portal / baseline", "p50", "p95"],
      [
        ["POSTGRES approval / CREATE ROLE", formatRatio(result.ratios.postgresToCreateRole.p50), formatRatio(result.ratios.postgresToCreateRole.p95)],
        ["POSTGRES approval / (CREATE ROLE + 2 transactions)", formatRatio(result.ratios.postgresToFloor.p50), formatRatio(result.ratios.postgresToFloor.p95)],
        ["S3_PRESIGN approval / 2 transactions", formatRatio(result.ratios.s3ToTransactions.p50), formatRatio(result.ratios.s3ToTransactions.p95)],
      ],
    ),
    "",
    "Where the time goes per approval (mean / p95, ms; from pg.Client round trips):",
    renderTable(
      ["", "POSTGRES mean", "p95", "S3_PRESIGN mean", "p95"],
      BREAKDOWN_ROWS.map(([key, label]) => [
        label,
        formatBreakdown(result.breakdown.POSTGRES?.[key].mean, key),
        formatBreakdown(result.breakdown.POSTGRES?.[key].p95, key),
        formatBreakdown(result.breakdown.S3_PRESIGN?.[key].mean, key),
        formatBreakdown(result.breakdown.S3_PRESIGN?.[key].p95, key),
      ]),
    ),
    "",
    "Portal database round trips per approval by statement (mean count / mean ms):",
    renderTable(
      ["statement", "POSTGRES count", "ms", "S3_PRESIGN count", "ms"],
      statementNames(result.portalStatements).map((statement) => {
        const postgres = result.portalStatements.POSTGRES[statement];
        const s3 = result.portalStatements.S3_PRESIGN[statement];

        return [statement, postgres?.count.toFixed(1) ?? "-", formatMs(postgres?.ms), s3?.count.toFixed(1) ?? "-", formatMs(s3?.ms)];
      }),
    ),
    "",
    `Warm-up approvals (the first starts pg-boss and opens the pool; not in the figures above): ${result.coldApprovalsMs.map(formatMs).join(", ") || "none"} ms`,
  );
  if (result.notReady > 0) lines.push(`Not ready within ${result.options.readyTimeoutMs} ms of reviewRequest returning: ${result.notReady}`);
  if (result.readyOnlyAfterPolling > 0) lines.push(`Ready only after polling (inline activation did not finish it): ${result.readyOnlyAfterPolling}`);
  if (result.stoppedEarly) lines.push(`Stopped early: ${result.stoppedEarly}`);
  if (result.cleanupProblems.length > 0) lines.push(`Cleanup problems: ${result.cleanupProblems.join("; ")}`);
  lines.push("", formatApprovalVerdict(result));

  return lines.join("\n");
}

export function formatApprovalVerdict(result: ApprovalLatencyResult): string {
  const { target } = result;
  const verdict = target.met ? "PASS" : "MISS";
  const reasons: string[] = [];
  if (target.count < target.minimumCount) reasons.push(`only ${target.count} approvals measured, ${target.minimumCount} needed`);
  if (result.notReady > 0) reasons.push(`${result.notReady} grants not ready`);
  if (target.p95Ms !== null && target.p95Ms >= target.p95LimitMs) reasons.push(`p95 is ${formatMs(target.p95Ms - target.p95LimitMs)} ms over`);

  return `${verdict} target (a) approval -> ready p95 < ${target.p95LimitMs} ms over >= ${target.minimumCount} approvals: p95 ${formatMs(target.p95Ms)} ms over ${target.count}${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}`;
}

function statementNames(mixes: Record<ResourceKind, StatementMix>): string[] {
  const names = new Set([...Object.keys(mixes.POSTGRES), ...Object.keys(mixes.S3_PRESIGN)]);
  const countOf = (name: string) => (mixes.POSTGRES[name]?.count ?? 0) + (mixes.S3_PRESIGN[name]?.count ?? 0);

  return [...names].sort((a, b) => countOf(b) - countOf(a));
}

const BREAKDOWN_ROWS: [keyof Breakdown, string][] = [
  ["reviewTransactionMs", "review transaction (call to first COMMIT)"],
  ["activationMs", "inline activation (after that COMMIT)"],
  ["targetConnectMs", "  target: connect as manager"],
  ["targetStatementMs", "  target: statements (CREATE ROLE)"],
  ["portalRoundTrips", "portal DB round trips (count)"],
  ["portalQueryMs", "portal DB round-trip time"],
  ["outsideQueriesMs", "outside any round trip (Node CPU, waits)"],
];

function formatBreakdown(value: number | null | undefined, key: keyof Breakdown): string {
  if (key === "portalRoundTrips") return value === null || value === undefined ? "-" : value.toFixed(1);

  return formatMs(value);
}

runBenchmarkCli({
  name: "approval-latency",
  moduleUrl: import.meta.url,
  help: HELP,
  parse: parseApprovalLatencyArgs,
  run: runApprovalLatency,
  format: formatApprovalReport,
  failed: (result) => result.cleanupProblems.length > 0,
});
