// Measures the time from a revocation to the end of the vendor's open PostgreSQL session. For each
// of N active grants it opens a session as the grant's login, calls revokeGrantAsActor() as an
// approver, and waits until that session is terminated. The baseline is a bare
// pg_terminate_backend() from a superuser connection, on a second session of the same login. It
// runs the portal's own modules in this process against a throwaway portal database and warehouse
// target on a local PostgreSQL server, and drops both afterwards.
//
//   node --conditions=react-server --import tsx bench/revocation-latency.ts [--grants N] [--json]
//
// Run with --help for every option. The figures are printed, not asserted: the exit code is 0
// whether or not the target is met, and 1 only when the benchmark itself fails.
import { parseArgs } from "node:util";

import pg from "pg";

import { describeDatabaseUrl } from "../scripts/lib/migrations";

import { describeMachine, formatLoadAverage, type MachineInfo } from "./lib/machine";
import { BENCH_APPLICATION_PREFIX, createBenchPortal, DEFAULT_SERVER_URL, type BenchPortal } from "./lib/portal-fixture";
import { installQueryProfiler } from "./lib/query-profiler";
import { runBenchmarkCli } from "./lib/cli";
import { formatMs, formatRatio, renderTable, summarize, summaryRow, SUMMARY_HEADER, type Summary } from "./lib/stats";

/** Project target: p95 from the revoke call to the vendor's open session being terminated. */
export const REVOCATION_TARGET_P95_MS = 1000;

const REVOKE_REASON = "Benchmark run: revocation latency.";

export type RevocationLatencyOptions = {
  grants: number;
  warmup: number;
  serverUrl: string;
  /** Interval of the SELECT 1 probe on the vendor's session, in ms. */
  pollMs: number;
  /** How long to wait for a session to end after the revoke call, in ms, before counting it as still open. */
  sessionTimeoutMs: number;
  /** Upper bound for the measured loop, in seconds. The loop stops early when it is reached. */
  maxSeconds: number;
};

type Termination = {
  /** From the call to its return, in ms. */
  returnedMs: number;
  /** From the call to the first sign that the session is gone, in ms, or null when it stayed open. */
  terminatedMs: number | null;
  detectedBy: "connection event" | "failed SELECT 1" | null;
};

type Sample = {
  portal: Termination;
  baseline: Termination;
  /** From the revoke call to the start of the terminate statement on the management connection, in ms. */
  terminateSentMs: number | null;
  targetConnectMs: number;
  /** Count and summed ms of the portal database round trips that ended before the terminate statement was sent. */
  portalRoundTripsBeforeTerminate: number;
  portalQueryMsBeforeTerminate: number;
  grantRevoked: boolean;
  roleDropped: boolean;
};

export type RevocationLatencyResult = {
  benchmark: "revocation-latency";
  startedAt: string;
  machine: MachineInfo;
  loadAverageAtEnd: [number, number, number];
  postgres: { server: string; version: string };
  options: RevocationLatencyOptions;
  measured: number;
  stoppedEarly: string | null;
  warmupTerminatedMs: (number | null)[];
  revokeToTerminated: Summary | null;
  revokeToReturned: Summary | null;
  phases: {
    callToTerminateSent: Summary | null;
    terminateSentToTerminated: Summary | null;
    terminatedToReturned: Summary | null;
    targetConnect: Summary | null;
    portalRoundTripsBeforeTerminate: Summary | null;
    portalQueryMsBeforeTerminate: Summary | null;
  };
  baseline: { terminateToTerminated: Summary | null; terminateReturned: Summary | null };
  ratios: { p50: number | null; p95: number | null };
  detectedBy: Record<string, number>;
  stillOpen: number;
  notRevoked: number;
  roleNotDropped: number;
  target: { p95LimitMs: number; p95Ms: number | null; count: number; met: boolean };
  cleanupProblems: string[];
};

const HELP = `Usage: node --conditions=react-server --import tsx bench/revocation-latency.ts [options]

Measures revoke -> terminated PostgreSQL session with the portal's own modules against a
throwaway portal database and warehouse on the PostgreSQL server at TEST_POSTGRES_URL
(default ${DEFAULT_SERVER_URL}; it must be on this machine and accept a superuser).

Options:
  --grants N            measured revocations, one grant and one open session each (default 50)
  --warmup N            revocations before measuring, reported apart (default 3)
  --poll-ms MS          interval of the SELECT 1 probe on the open session (default 10)
  --session-timeout-ms MS
                        wait this long after the revoke call for the session to end before
                        counting it as still open (default 10000)
  --max-seconds S       stop the measured loop after S seconds (default 600)
  --json                print the results as JSON instead of tables
  --help                print this text
`;

export function parseRevocationLatencyArgs(argv: string[]): { options: RevocationLatencyOptions; json: boolean; help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      grants: { type: "string", default: "50" },
      warmup: { type: "string", default: "3" },
      "poll-ms": { type: "string", default: "10" },
      "session-timeout-ms": { type: "string", default: "10000" },
      "max-seconds": { type: "string", default: "600" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });

  return {
    options: {
      grants: parseWholeNumber("--grants", values.grants, 1, 5000),
      warmup: parseWholeNumber("--warmup", values.warmup, 0, 100),
      pollMs: parseWholeNumber("--poll-ms", values["poll-ms"], 1, 1000),
      sessionTimeoutMs: parseWholeNumber("--session-timeout-ms", values["session-timeout-ms"], 100, 120_000),
      maxSeconds: parseWholeNumber("--max-seconds", values["max-seconds"], 1, 3600),
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

/** Runs the benchmark and removes everything it created, also when it fails part-way. */
export async function runRevocationLatency(options: RevocationLatencyOptions, progress: (message: string) => void): Promise<RevocationLatencyResult> {
  const startedAt = new Date();
  const machine = describeMachine();

  let stopRequested: string | null = null;
  const stopOnSignal = () => {
    stopRequested = "interrupted by a signal";
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);

  let portal: BenchPortal | null = null;
  const cleanupProblems: string[] = [];

  try {
    portal = await createBenchPortal({ serverUrl: options.serverUrl, label: "revoke", maxDurationMinutes: 240, progress });
    // The patch is on pg.Client's prototype, so the pool connections opened so far are covered too.
    const profiler = installQueryProfiler({ portalDatabase: portal.portalDatabase, targetUser: portal.managerRole, benchApplicationPrefix: BENCH_APPLICATION_PREFIX });
    const [{ revokeGrantAsActor }, { db }] = await Promise.all([import("../lib/grants/revoke"), import("../lib/db")]);

    const superuser = new pg.Client({ connectionString: options.serverUrl, application_name: `${BENCH_APPLICATION_PREFIX}-terminate` });
    superuser.on("error", () => undefined);
    await superuser.connect();
    portal.addCleanup("close the superuser connection", () => superuser.end());
    const postgresVersion = (await superuser.query<{ version: string }>("SELECT current_setting('server_version') AS version")).rows[0]?.version ?? "unknown";

    const measureOne = async (): Promise<Sample> => {
      const { app, vendor, approver, resourceId } = portal!;
      const request = await app.createStartNowRequest(vendor, { id: resourceId, accessLevel: "read" });
      const outcome = await app.reviewRequest(approver, { requestId: request.id, decision: "APPROVE", comment: "" });
      if (!outcome.grantId) throw new Error(`request ${request.id} was approved without a grant (status ${outcome.requestStatus})`);
      const grantId = outcome.grantId;
      const issued = await app.issueDatabasePassword(vendor, grantId);
      const login = { host: issued.details.host, port: issued.details.port, database: issued.details.database, user: issued.details.user, password: issued.password };

      const baselineSession = await openSession(login, "baseline");
      const baseline = await timeTermination(baselineSession.client, options, async () => {
        await superuser.query("SELECT pg_terminate_backend($1)", [baselineSession.pid]);
      });

      const session = await openSession(login, "portal");
      profiler.clear();
      const calledAt = performance.now();
      const portalTiming = await timeTermination(session.client, options, async () => {
        await revokeGrantAsActor(approver, { grantId, reason: REVOKE_REASON });
      });
      const events = profiler.eventsSince(calledAt);
      const returnedAt = calledAt + portalTiming.returnedMs;
      const targetQueries = events.filter((event) => event.role === "target" && event.kind === "query");
      const terminateQuery = targetQueries.find((event) => event.statement === "SELECT");
      const duration = (event: { startedAt: number; endedAt: number }) => event.endedAt - event.startedAt;
      const terminateSentAt = terminateQuery?.startedAt ?? returnedAt;
      const portalBeforeTerminate = events.filter((event) => event.role === "portal" && event.kind === "query" && event.endedAt <= terminateSentAt);

      const { rows } = await superuser.query<{ role_exists: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS role_exists", [
        issued.details.user,
      ]);
      const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId }, select: { status: true } });

      return {
        portal: portalTiming,
        baseline,
        terminateSentMs: terminateQuery ? terminateQuery.startedAt - calledAt : null,
        targetConnectMs: events.filter((event) => event.role === "target" && event.kind === "connect").reduce((sum, event) => sum + duration(event), 0),
        portalRoundTripsBeforeTerminate: portalBeforeTerminate.length,
        portalQueryMsBeforeTerminate: portalBeforeTerminate.reduce((sum, event) => sum + duration(event), 0),
        grantRevoked: grant.status === "REVOKED",
        roleDropped: rows[0]?.role_exists === false,
      };
    };

    progress(`Warming up with ${options.warmup} revocation(s)`);
    const warmupTerminatedMs: (number | null)[] = [];
    for (let index = 0; index < options.warmup; index++) {
      warmupTerminatedMs.push((await measureOne()).portal.terminatedMs);
    }

    progress(`Measuring ${options.grants} revocations, each with one bare pg_terminate_backend() as the baseline`);
    const samples: Sample[] = [];
    const deadline = performance.now() + options.maxSeconds * 1000;
    for (let index = 0; index < options.grants; index++) {
      if (stopRequested) break;
      if (performance.now() > deadline) {
        stopRequested = `stopped after ${index} revocations at the ${options.maxSeconds} s limit (--max-seconds)`;
        break;
      }
      samples.push(await measureOne());
      if ((index + 1) % 10 === 0) progress(`  ${index + 1}/${options.grants} revocations`);
    }

    cleanupProblems.push(...(await portal.cleanUp()));

    return summarizeRevocations({ startedAt, machine, options, postgresVersion, samples, warmupTerminatedMs, stoppedEarly: stopRequested, cleanupProblems });
  } finally {
    if (portal) cleanupProblems.push(...(await portal.cleanUp()));
    process.off("SIGINT", stopOnSignal);
    process.off("SIGTERM", stopOnSignal);
    if (cleanupProblems.length > 0) {
      progress(`Cleanup problems, remove these by hand:\n  ${cleanupProblems.join("\n  ")}`);
    }
  }
}

type Login = { host: string; port: number; database: string; user: string; password: string };

/** Opens a session as the grant's login and returns it with its backend PID. */
async function openSession(login: Login, purpose: string): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ ...login, application_name: `${BENCH_APPLICATION_PREFIX}-vendor-${purpose}` });
  // A terminated session emits 'error' (the server's FATAL message) and 'end', and timeTermination
  // listens for both. This listener keeps an unhandled 'error' from ending the process.
  client.on("error", () => undefined);
  await client.connect();
  const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");

  return { client, pid: rows[0]!.pid };
}

/**
 * Calls `action` and measures until the session is seen terminated, by whichever of two signals
 * comes first. One is the client's 'error' or 'end' event, which fires when the server sends its
 * FATAL message and closes the socket. The other is a SELECT 1 probe every `pollMs` that fails.
 * The event needs no polling, and the probe covers a socket that closes without a message.
 */
async function timeTermination(client: pg.Client, options: RevocationLatencyOptions, action: () => Promise<void>): Promise<Termination> {
  let terminatedAt: number | null = null;
  let detectedBy: Termination["detectedBy"] = null;
  const markTerminated = (by: NonNullable<Termination["detectedBy"]>) => {
    if (terminatedAt !== null) return;
    terminatedAt = performance.now();
    detectedBy = by;
  };
  const onEvent = () => markTerminated("connection event");
  client.once("error", onEvent);
  client.once("end", onEvent);

  const calledAt = performance.now();
  const deadline = calledAt + options.sessionTimeoutMs;
  const probe = (async () => {
    while (terminatedAt === null && performance.now() < deadline) {
      try {
        await client.query("SELECT 1");
      } catch {
        markTerminated("failed SELECT 1");
        break;
      }
      await sleep(options.pollMs);
    }
  })();

  await action();
  const returnedAt = performance.now();
  await probe;
  client.off("error", onEvent);
  client.off("end", onEvent);
  await client.end().catch(() => undefined);

  return {
    returnedMs: returnedAt - calledAt,
    terminatedMs: terminatedAt === null ? null : (terminatedAt as number) - calledAt,
    detectedBy,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function summarizeRevocations(input: {
  startedAt: Date;
  machine: MachineInfo;
  options: RevocationLatencyOptions;
  postgresVersion: string;
  samples: Sample[];
  warmupTerminatedMs: (number | null)[];
  stoppedEarly: string | null;
  cleanupProblems: string[];
}): RevocationLatencyResult {
  const { samples, options } = input;
  const numbers = (values: (number | null)[]) => values.filter((value): value is number => value !== null);
  const terminated = samples.filter((sample) => sample.portal.terminatedMs !== null);
  const revokeToTerminated = summarize(numbers(samples.map((sample) => sample.portal.terminatedMs)));
  const baselineTerminated = summarize(numbers(samples.map((sample) => sample.baseline.terminatedMs)));
  const ratio = (numerator: number | undefined, denominator: number | undefined) =>
    numerator === undefined || denominator === undefined || denominator <= 0 ? null : numerator / denominator;
  const detectedBy: Record<string, number> = {};
  for (const sample of samples) {
    const key = sample.portal.detectedBy ?? "still open";
    detectedBy[key] = (detectedBy[key] ?? 0) + 1;
  }
  const stillOpen = samples.length - terminated.length;

  return {
    benchmark: "revocation-latency",
    startedAt: input.startedAt.toISOString(),
    machine: input.machine,
    loadAverageAtEnd: describeMachine().loadAverage,
    postgres: { server: describeDatabaseUrl(options.serverUrl), version: input.postgresVersion },
    options,
    measured: samples.length,
    stoppedEarly: input.stoppedEarly,
    warmupTerminatedMs: input.warmupTerminatedMs,
    revokeToTerminated,
    revokeToReturned: summarize(samples.map((sample) => sample.portal.returnedMs)),
    phases: {
      callToTerminateSent: summarize(numbers(samples.map((sample) => sample.terminateSentMs))),
      terminateSentToTerminated: summarize(
        numbers(terminated.map((sample) => (sample.terminateSentMs === null ? null : sample.portal.terminatedMs! - sample.terminateSentMs))),
      ),
      terminatedToReturned: summarize(terminated.map((sample) => sample.portal.returnedMs - sample.portal.terminatedMs!)),
      targetConnect: summarize(samples.map((sample) => sample.targetConnectMs)),
      portalRoundTripsBeforeTerminate: summarize(samples.map((sample) => sample.portalRoundTripsBeforeTerminate)),
      portalQueryMsBeforeTerminate: summarize(samples.map((sample) => sample.portalQueryMsBeforeTerminate)),
    },
    baseline: { terminateToTerminated: baselineTerminated, terminateReturned: summarize(samples.map((sample) => sample.baseline.returnedMs)) },
    ratios: { p50: ratio(revokeToTerminated?.p50, baselineTerminated?.p50), p95: ratio(revokeToTerminated?.p95, baselineTerminated?.p95) },
    detectedBy,
    stillOpen,
    notRevoked: samples.filter((sample) => !sample.grantRevoked).length,
    roleNotDropped: samples.filter((sample) => !sample.roleDropped).length,
    target: {
      p95LimitMs: REVOCATION_TARGET_P95_MS,
      p95Ms: revokeToTerminated?.p95 ?? null,
      count: samples.length,
      // A session that stayed open counts against the target however fast the others ended.
      met: revokeToTerminated !== null && stillOpen === 0 && revokeToTerminated.p95 < REVOCATION_TARGET_P95_MS,
    },
    cleanupProblems: input.cleanupProblems,
  };
}

export function formatRevocationReport(result: RevocationLatencyResult): string {
  const { machine } = result;
  const lines = [
    `Revocation to terminated session: ${result.measured} measured revocations, ${result.options.warmup} warm-up, one open session per grant`,
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.totalMemoryMb} MB, Node ${machine.node}; PostgreSQL ${result.postgres.version} at ${result.postgres.server}`,
    `Load average (1, 5, 15 min): ${formatLoadAverage(machine.loadAverage)} at start, ${formatLoadAverage(result.loadAverageAtEnd)} at end`,
    `Session seen terminated by: ${Object.entries(result.detectedBy).map(([how, count]) => `${how} ${count}`).join(", ")} (SELECT 1 probe every ${result.options.pollMs} ms)`,
    "",
    renderTable(SUMMARY_HEADER, [
      summaryRow("revoke call -> session terminated", result.revokeToTerminated),
      summaryRow("revoke call -> revokeGrantAsActor returned", result.revokeToReturned),
      summaryRow("  call -> terminate statement sent", result.phases.callToTerminateSent),
      summaryRow("  terminate sent -> session terminated", result.phases.terminateSentToTerminated),
      summaryRow("  session terminated -> call returned", result.phases.terminatedToReturned),
      summaryRow("  target: connect as manager", result.phases.targetConnect),
      summaryRow("  portal DB round-trip time before terminate", result.phases.portalQueryMsBeforeTerminate),
    ]),
    `Portal database round trips before the terminate statement: ${formatCount(result.phases.portalRoundTripsBeforeTerminate)}`,
    "",
    "Baseline, a second session of the same login, before each revocation:",
    renderTable(SUMMARY_HEADER, [
      summaryRow("pg_terminate_backend -> session terminated", result.baseline.terminateToTerminated),
      summaryRow("pg_terminate_backend returned", result.baseline.terminateReturned),
    ]),
    "",
    `Ratio portal / baseline (revoke -> terminated over pg_terminate_backend -> terminated): p50 ${formatRatio(result.ratios.p50)}, p95 ${formatRatio(result.ratios.p95)}`,
    `Warm-up revocations, call -> session terminated (not in the figures above): ${result.warmupTerminatedMs.map(formatMs).join(", ") || "none"} ms`,
    "Not measured: the browser click -> server action HTTP round trip in front of revokeGrantAsActor().",
  ];
  if (result.stillOpen > 0) lines.push(`Sessions still open ${result.options.sessionTimeoutMs} ms after the revoke call: ${result.stillOpen}`);
  if (result.notRevoked > 0) lines.push(`Grants not REVOKED after the call: ${result.notRevoked}`);
  if (result.roleNotDropped > 0) lines.push(`Login roles still present after the call: ${result.roleNotDropped}`);
  if (result.stoppedEarly) lines.push(`Stopped early: ${result.stoppedEarly}`);
  if (result.cleanupProblems.length > 0) lines.push(`Cleanup problems: ${result.cleanupProblems.join("; ")}`);
  lines.push("", formatRevocationVerdict(result));

  return lines.join("\n");
}

function formatCount(summary: Summary | null): string {
  if (!summary) return "-";

  return summary.min === summary.max ? String(summary.min) : `${summary.min} to ${summary.max} (p50 ${summary.p50})`;
}

export function formatRevocationVerdict(result: RevocationLatencyResult): string {
  const { target } = result;
  const reasons: string[] = [];
  if (result.stillOpen > 0) reasons.push(`${result.stillOpen} sessions still open`);
  if (target.p95Ms !== null && target.p95Ms >= target.p95LimitMs) reasons.push(`p95 is ${formatMs(target.p95Ms - target.p95LimitMs)} ms over`);

  return `${target.met ? "PASS" : "MISS"} revoke -> session terminated p95 < ${target.p95LimitMs} ms: p95 ${formatMs(target.p95Ms)} ms over ${target.count}${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}`;
}

runBenchmarkCli({
  name: "revocation-latency",
  moduleUrl: import.meta.url,
  help: HELP,
  parse: parseRevocationLatencyArgs,
  run: runRevocationLatency,
  format: formatRevocationReport,
  failed: (result) => result.cleanupProblems.length > 0,
});
