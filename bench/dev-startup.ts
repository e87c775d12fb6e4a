// Measures `npm run dev`: the time until GET /sign-in returns 200 on a fresh data folder (initdb
// included) and again on the same folder, and the resident memory of each part while idle.
//
//   node --conditions=react-server --import tsx bench/dev-startup.ts [--idle-seconds S] [--json]
//
// It starts the command of the "dev" script in package.json on free ports of 127.0.0.1 with
// PORTAL_DATA_DIR in a new temporary folder, and stops every process it started, also on failure.
// The figures are printed, not asserted: the exit code is 1 only when the benchmark itself fails.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { describeMachine, describeRevision, formatLoadAverage, formatRevision, type MachineInfo, type RevisionInfo } from "./lib/machine";
import { isSameProcessAlive, listProcessTree, readProcess, type ProcessInfo } from "./lib/process-tree";
import { runBenchmarkCli } from "./lib/cli";
import { formatMs, median, renderTable } from "./lib/stats";

/** Project target (b): GET /sign-in returns 200 within this long after `npm run dev` starts. */
export const DEV_READY_TARGET_MS = 30_000;
/** Project target (b): resident memory of the Next.js app while idle. */
export const APP_IDLE_RSS_TARGET_MB = 500;

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";
// Defaults of `npm run dev` and the ports of the browser-test stack, which may be in use.
const RESERVED_PORTS = new Set([3000, 3100, 54329, 54330, 54339, 54340]);
// Settings the launcher would otherwise take from this process's environment.
const INHERITED_STACK_SETTINGS = [
  "DATABASE_URL",
  "WAREHOUSE_SUPERUSER_URL",
  "WAREHOUSE_MANAGEMENT_URL",
  "NEXTAUTH_SECRET",
  "NEXTAUTH_URL",
  "LOG_LEVEL",
  "NODE_ENV",
  "PORT",
  "DEV_POSTGRES_PORT",
  "DEV_S3_PORT",
  "PORTAL_DATA_DIR",
];
const POLL_INTERVAL_MS = 250;
const REQUEST_TIMEOUT_MS = 20_000;
const SAMPLE_INTERVAL_MS = 500;
const STOP_TIMEOUT_MS = 30_000;
const OUTPUT_TAIL_LINES = 40;

// First output line of each phase of a start, as scripts/lib/stack.ts and `next dev` (16.5) print them.
const PHASE_PATTERNS: [string, RegExp][] = [
  ["initdb started", /Creating the embedded PostgreSQL data folder/],
  ["migrations checked", /Applied migrations|Database schema is up to date/],
  ["demo data seeded", /Seeded demo data/],
  ["next dev ready", /Ready in/],
  ["launcher reports ready", /Vendor Access Portal is running at/],
];

// Phases read from the process tree, so they are known to within SAMPLE_INTERVAL_MS.
const SPAWN_PHASES: [string, MemoryGroup][] = [
  ["PostgreSQL process seen", "postgres"],
  ["worker process seen", "worker"],
  ["Next.js process seen", "app"],
];

export type DevStartupOptions = {
  /** How long the stack stays idle after the first page load before memory is read, in seconds. */
  idleSeconds: number;
  /** Upper bound for the whole benchmark, in seconds. */
  timeoutSeconds: number;
  /** Echo the launcher's output to stderr. */
  verbose: boolean;
};

export type MemoryGroup = "app" | "worker" | "postgres" | "launcher" | "total";

export type GroupMemory = { processes: number; rssMb: number; pssMb: number | null };

export type StartMeasurement = {
  label: "first start" | "warm start";
  /** From spawning the launcher until GET /sign-in returned 200, in ms. */
  readyMs: number;
  /** Duration of the request that first returned 200, in ms. In dev mode it includes compiling the page. */
  firstPageRequestMs: number;
  /** Duration of the next GET /sign-in, in ms. */
  secondPageRequestMs: number;
  /** First output line of each phase, in ms since spawn. */
  phases: { name: string; atMs: number }[];
  idleMemory: Record<MemoryGroup, GroupMemory>;
  /** Highest sum per group over the samples taken every SAMPLE_INTERVAL_MS from spawn to the end of the idle wait. */
  peakRssMb: Record<MemoryGroup, number>;
  /** The Next.js server process alone (title "next-server"), without the `next dev` CLI parent. */
  nextServerIdleRssMb: number | null;
  processes: { group: MemoryGroup; pid: number; rssMb: number; command: string }[];
  /** From SIGINT to the launcher until it exited, in ms. */
  stopMs: number;
  /** Exit status of the launcher after SIGINT, such as "code 0" or "code 130". */
  launcherExit: string;
  /** Processes of the tree still running after the launcher exited. The benchmark killed them. */
  leftRunning: string[];
};

export type DevStartupResult = {
  benchmark: "dev-startup";
  startedAt: string;
  machine: MachineInfo;
  revision: RevisionInfo;
  loadAverageAtEnd: [number, number, number];
  options: DevStartupOptions;
  command: string;
  ports: { app: number; postgres: number; s3: number };
  /** True when .next/dev/cache existed before the run, so Turbopack compiled from its cache. */
  turbopackCachePresent: boolean;
  starts: StartMeasurement[];
  baseline: {
    nodeStartMs: number | null;
    tsxStartMs: number | null;
    npmStartMs: number | null;
    idleNodeRssMb: number | null;
  };
  targets: {
    readyLimitMs: number;
    appRssLimitMb: number;
    startsMet: boolean;
    memoryMet: boolean;
  };
};

const HELP = `Usage: node --conditions=react-server --import tsx bench/dev-startup.ts [options]

Starts the "dev" script of package.json twice on one new temporary data folder (first start with
initdb, then a warm start), on free ports of 127.0.0.1, and prints the time until GET /sign-in
returns 200 and the resident memory of each part while idle.

Options:
  --idle-seconds S     idle time after the first page load before memory is read (default 20)
  --timeout-seconds S  upper bound for the whole benchmark (default 420)
  --verbose            echo the launcher's output to stderr
  --json               print the results as JSON instead of tables
  --help               print this text
`;

export function parseDevStartupArgs(argv: string[]): { options: DevStartupOptions; json: boolean; help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      "idle-seconds": { type: "string", default: "20" },
      "timeout-seconds": { type: "string", default: "420" },
      verbose: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  const idleSeconds = Number(values["idle-seconds"]);
  const timeoutSeconds = Number(values["timeout-seconds"]);
  if (!Number.isInteger(idleSeconds) || idleSeconds < 0 || idleSeconds > 600) {
    throw new Error(`--idle-seconds ${values["idle-seconds"]} is invalid: expected a whole number from 0 to 600`);
  }
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 30 || timeoutSeconds > 3600) {
    throw new Error(`--timeout-seconds ${values["timeout-seconds"]} is invalid: expected a whole number from 30 to 3600`);
  }

  return { options: { idleSeconds, timeoutSeconds, verbose: values.verbose }, json: values.json, help: values.help };
}

/** Runs both starts and the baseline, then stops every process it started and removes the data folder. */
export async function runDevStartup(options: DevStartupOptions, progress: (message: string) => void): Promise<DevStartupResult> {
  const startedAt = new Date();
  const machine = describeMachine();
  const revision = describeRevision(PROJECT_ROOT);
  const deadline = AbortSignal.timeout(options.timeoutSeconds * 1000);
  const turbopackCachePresent = existsSync(path.join(PROJECT_ROOT, ".next", "dev", "cache"));
  const command = readDevCommand();
  const [appPort, postgresPort, s3Port] = (await findFreePorts(3)) as [number, number, number];
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "vap-bench-dev-"));
  const running = new Set<LaunchedStack>();

  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort(new Error("interrupted by a signal"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const signal = AbortSignal.any([deadline, interrupt.signal]);

  try {
    const env = stackEnvironment({ dataDir, appPort, postgresPort, s3Port });
    const starts: StartMeasurement[] = [];
    for (const label of ["first start", "warm start"] as const) {
      progress(`${label}: ${command.join(" ")} with PORT=${appPort} DEV_POSTGRES_PORT=${postgresPort} DEV_S3_PORT=${s3Port}`);
      starts.push(await measureStart(label, { command, env, appPort, options, signal, running, progress }));
    }

    progress("Baseline: bare node, node with tsx, npm and an idle node process");
    const baseline = await measureBaseline(signal);

    const appIdleMb = Math.max(...starts.map((start) => start.idleMemory.app.rssMb));

    return {
      benchmark: "dev-startup",
      startedAt: startedAt.toISOString(),
      machine,
      revision,
      loadAverageAtEnd: describeMachine().loadAverage,
      options,
      command: command.join(" "),
      ports: { app: appPort, postgres: postgresPort, s3: s3Port },
      turbopackCachePresent,
      starts,
      baseline,
      targets: {
        readyLimitMs: DEV_READY_TARGET_MS,
        appRssLimitMb: APP_IDLE_RSS_TARGET_MB,
        startsMet: starts.every((start) => start.readyMs < DEV_READY_TARGET_MS),
        memoryMet: appIdleMb < APP_IDLE_RSS_TARGET_MB,
      },
    };
  } catch (error) {
    if (signal.aborted) {
      throw new Error(`dev-startup stopped: ${describeAbort(signal, options.timeoutSeconds)}`, { cause: error });
    }
    throw error;
  } finally {
    for (const stack of running) await killStack(stack, progress);
    await rm(dataDir, { recursive: true, force: true });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Reads the "dev" script of package.json as an argument list, with `node` replaced by this Node binary. */
function readDevCommand(): string[] {
  const packageJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const script = packageJson.scripts?.dev;
  const words = script?.trim().split(/\s+/) ?? [];
  if (words[0] !== "node" || words.some((word) => /["'$&|;<>]/.test(word))) {
    throw new Error(`package.json "dev" script is ${JSON.stringify(script)}, but the benchmark can run only a plain "node …" command. Update bench/dev-startup.ts to match the script.`);
  }

  return [process.execPath, ...words.slice(1)];
}

function stackEnvironment(settings: { dataDir: string; appPort: number; postgresPort: number; s3Port: number }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (INHERITED_STACK_SETTINGS.includes(name) || name.startsWith("S3_COMPAT_")) delete env[name];
  }

  return {
    ...env,
    PORTAL_DATA_DIR: settings.dataDir,
    PORT: String(settings.appPort),
    DEV_POSTGRES_PORT: String(settings.postgresPort),
    DEV_S3_PORT: String(settings.s3Port),
    NEXT_TELEMETRY_DISABLED: "1",
  };
}

type LaunchedStack = {
  child: ChildProcess;
  /** Every process seen in the launcher's tree, by PID, with its start time. */
  seen: Map<number, ProcessInfo>;
};

type MeasureContext = {
  command: string[];
  env: NodeJS.ProcessEnv;
  appPort: number;
  options: DevStartupOptions;
  signal: AbortSignal;
  running: Set<LaunchedStack>;
  progress: (message: string) => void;
};

async function measureStart(label: StartMeasurement["label"], context: MeasureContext): Promise<StartMeasurement> {
  const { signal, progress } = context;
  const spawnedAt = performance.now();
  // detached: the launcher leads its own process group, so the group can be killed if all else fails.
  const child = spawn(context.command[0]!, context.command.slice(1), {
    cwd: PROJECT_ROOT,
    env: context.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stack: LaunchedStack = { child, seen: new Map() };
  context.running.add(stack);

  const output: { atMs: number; line: string }[] = [];
  const onOutput = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      output.push({ atMs: performance.now() - spawnedAt, line });
      if (context.options.verbose) process.stderr.write(`  | ${line}\n`);
    }
  };
  child.stdout!.on("data", onOutput);
  child.stderr!.on("data", onOutput);
  const outputTail = () => output.slice(-OUTPUT_TAIL_LINES).map((entry) => `  | ${entry.line}`).join("\n");

  const peakRssMb = emptyRecord(0);
  const firstSeenMs = new Map<MemoryGroup, number>();
  const sample = () => {
    if (child.pid === undefined) return null;
    const tree = listProcessTree(child.pid);
    for (const info of tree) if (!stack.seen.has(info.pid)) stack.seen.set(info.pid, info);
    const memory = groupMemory(child.pid, tree);
    for (const group of Object.keys(memory) as MemoryGroup[]) {
      peakRssMb[group] = Math.max(peakRssMb[group], memory[group].rssMb);
      if (memory[group].processes > 0 && !firstSeenMs.has(group)) firstSeenMs.set(group, performance.now() - spawnedAt);
    }

    return { tree, memory };
  };
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);

  try {
    const url = `http://${HOST}:${context.appPort}/sign-in`;
    let firstPageRequestMs: number | null = null;
    while (firstPageRequestMs === null) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the launcher exited (code ${child.exitCode}, signal ${child.signalCode}) before ${url} returned 200. Its last output:\n${outputTail()}`);
      }
      signal.throwIfAborted();
      const requestStartedAt = performance.now();
      const status = await fetchStatus(url, signal);
      if (status === 200) firstPageRequestMs = performance.now() - requestStartedAt;
      else await sleep(POLL_INTERVAL_MS, signal);
    }
    const readyMs = performance.now() - spawnedAt;
    const secondRequestStartedAt = performance.now();
    await fetchStatus(url, signal);
    const secondPageRequestMs = performance.now() - secondRequestStartedAt;
    progress(`  /sign-in answered 200 after ${(readyMs / 1000).toFixed(1)} s; idle for ${context.options.idleSeconds} s before reading memory`);

    await sleep(context.options.idleSeconds * 1000, signal);
    const idle = sample()!;
    clearInterval(sampler);
    const nextServer = idle.tree.find((info) => info.command.startsWith("next-server"));

    progress("  stopping: SIGINT to the launcher");
    const stopStartedAt = performance.now();
    process.kill(child.pid!, "SIGINT");
    const stoppedInTime = await waitForExit(child, STOP_TIMEOUT_MS);
    const stopMs = performance.now() - stopStartedAt;
    if (!stoppedInTime) {
      throw new Error(`the launcher did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGINT. Its last output:\n${outputTail()}`);
    }
    // Processes of the tree may exit a moment after the launcher, so they get the same bound.
    const leftRunning = await waitForTreeExit(stack, signal);
    for (const entry of leftRunning) killIfSame(entry, "SIGKILL");
    context.running.delete(stack);

    return {
      label,
      launcherExit: child.signalCode === null ? `code ${child.exitCode}` : `signal ${child.signalCode}`,
      readyMs,
      firstPageRequestMs,
      secondPageRequestMs,
      phases: [
        ...PHASE_PATTERNS.flatMap(([name, pattern]) => {
          const line = output.find((entry) => pattern.test(entry.line));

          return line ? [{ name, atMs: line.atMs }] : [];
        }),
        ...SPAWN_PHASES.flatMap(([name, group]) => {
          const atMs = firstSeenMs.get(group);

          return atMs === undefined ? [] : [{ name, atMs }];
        }),
      ].sort((a, b) => a.atMs - b.atMs),
      idleMemory: idle.memory,
      peakRssMb,
      nextServerIdleRssMb: nextServer ? toMb(nextServer.rssKb) : null,
      processes: idle.tree.map((info) => ({
        group: groupOf(child.pid!, info, idle.tree),
        pid: info.pid,
        rssMb: toMb(info.rssKb),
        command: info.command.slice(0, 120),
      })),
      stopMs,
      leftRunning: leftRunning.map((info) => `${info.pid} ${info.command.slice(0, 80)}`),
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Waits up to STOP_TIMEOUT_MS for every process seen in the tree to exit, and returns those still running. */
async function waitForTreeExit(stack: LaunchedStack, signal: AbortSignal): Promise<ProcessInfo[]> {
  const deadline = performance.now() + STOP_TIMEOUT_MS;
  for (;;) {
    const alive = [...stack.seen.values()].filter((info) => isSameProcessAlive(info.pid, info.startTime));
    if (alive.length === 0 || performance.now() > deadline) return alive;
    await sleep(POLL_INTERVAL_MS, signal);
  }
}

/**
 * Ends a stack that is still running after a failure: SIGINT to the launcher as Ctrl-C would, then
 * SIGKILL to its process group and to every process seen in its tree that is still the same process.
 */
async function killStack(stack: LaunchedStack, progress: (message: string) => void): Promise<void> {
  const { child } = stack;
  if (child.pid !== undefined) {
    for (const info of listProcessTree(child.pid)) if (!stack.seen.has(info.pid)) stack.seen.set(info.pid, info);
  }
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    progress(`Stopping the launcher (PID ${child.pid}) after a failure`);
    process.kill(child.pid, "SIGINT");
    await waitForExit(child, STOP_TIMEOUT_MS);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // The group is already empty.
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  for (const info of stack.seen.values()) {
    if (killIfSame(info, "SIGKILL")) progress(`Killed PID ${info.pid} (${info.command.slice(0, 60)}), still running after the launcher`);
  }
}

/** Resolves true when the child exits within `timeoutMs`, false otherwise. */
function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);

  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

function killIfSame(info: ProcessInfo, signalName: NodeJS.Signals): boolean {
  if (!isSameProcessAlive(info.pid, info.startTime)) return false;
  try {
    process.kill(info.pid, signalName);

    return true;
  } catch {
    return false;
  }
}

/**
 * Sorts the launcher's tree into groups: the Next.js app (the `next` CLI and the next-server it
 * forks), the worker, PostgreSQL, and the launcher with its other helpers (tsx's esbuild service).
 * The S3 server runs inside the launcher process.
 */
function groupMemory(launcherPid: number, tree: ProcessInfo[]): Record<MemoryGroup, GroupMemory> {
  const memory: Record<MemoryGroup, GroupMemory> = {
    app: { processes: 0, rssMb: 0, pssMb: 0 },
    worker: { processes: 0, rssMb: 0, pssMb: 0 },
    postgres: { processes: 0, rssMb: 0, pssMb: 0 },
    launcher: { processes: 0, rssMb: 0, pssMb: 0 },
    total: { processes: 0, rssMb: 0, pssMb: 0 },
  };
  for (const info of tree) {
    for (const group of [groupOf(launcherPid, info, tree), "total"] as const) {
      const entry = memory[group];
      entry.processes++;
      entry.rssMb += toMb(info.rssKb);
      entry.pssMb = entry.pssMb === null || info.pssKb === null ? null : entry.pssMb + toMb(info.pssKb);
    }
  }

  return memory;
}

function groupOf(launcherPid: number, info: ProcessInfo, tree: ProcessInfo[]): Exclude<MemoryGroup, "total"> {
  const byPid = new Map(tree.map((entry) => [entry.pid, entry]));
  let top = info;
  while (top.ppid !== launcherPid && byPid.has(top.ppid)) top = byPid.get(top.ppid)!;
  if (top.pid === launcherPid) return "launcher";
  if (top.command.includes("scripts/worker.ts")) return "worker";
  if (top.command.includes("next/dist/bin/next") || top.command.startsWith("next-server")) return "app";
  if (/(^|\/)postgres(\s|$)/.test(top.command) || top.command.startsWith("postgres:")) return "postgres";

  return "launcher";
}

async function measureBaseline(signal: AbortSignal): Promise<DevStartupResult["baseline"]> {
  const timeRuns = async (command: string, args: string[], runs: number) => {
    const samples: number[] = [];
    for (let run = 0; run < runs; run++) {
      signal.throwIfAborted();
      const startedAt = performance.now();
      const code = await runToExit(command, args);
      if (code !== 0) return null;
      samples.push(performance.now() - startedAt);
    }

    return median(samples);
  };

  const nodeStartMs = await timeRuns(process.execPath, ["-e", "0"], 5);
  const tsxStartMs = await timeRuns(process.execPath, ["--conditions=react-server", "--import", "tsx", "-e", "0"], 5);
  const npmStartMs = await timeRuns("npm", ["--version"], 3);

  const idle = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  let idleNodeRssMb: number | null = null;
  try {
    await sleep(2_000, signal);
    const info = idle.pid === undefined ? null : readProcess(idle.pid);
    idleNodeRssMb = info ? toMb(info.rssKb) : null;
  } finally {
    idle.kill("SIGTERM");
  }

  return { nodeStartMs, tsxStartMs, npmStartMs, idleNodeRssMb };
}

function runToExit(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: "ignore" });
    child.once("error", () => resolve(null));
    child.once("exit", (code) => resolve(code));
  });
}

/** Returns the HTTP status, or null when no response came (connection refused, timeout). */
async function fetchStatus(url: string, signal: AbortSignal): Promise<number | null> {
  try {
    const response = await fetch(url, { redirect: "manual", signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
    await response.arrayBuffer();

    return response.status;
  } catch (error) {
    if (signal.aborted) throw error;

    return null;
  }
}

/** Finds `count` distinct free TCP ports on 127.0.0.1 outside RESERVED_PORTS. */
async function findFreePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count && attempt < count * 10; attempt++) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, HOST, () => resolve());
      });
      servers.push(server);
      const { port } = server.address() as net.AddressInfo;
      if (!RESERVED_PORTS.has(port)) ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
  if (ports.length < count) throw new Error(`found only ${ports.length} of ${count} free ports on ${HOST}`);

  return ports;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);

      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function describeAbort(signal: AbortSignal, timeoutSeconds: number): string {
  const reason = signal.reason as { name?: string; message?: string } | undefined;
  if (reason?.name === "TimeoutError") return `the overall limit of ${timeoutSeconds} s (--timeout-seconds) was reached`;

  return reason?.message ?? "aborted";
}

function emptyRecord(value: number): Record<MemoryGroup, number> {
  return { app: value, worker: value, postgres: value, launcher: value, total: value };
}

function toMb(kb: number): number {
  return kb / 1024;
}

const LISTED_PROCESS_MIN_MB = 20;

const GROUP_LABELS: [MemoryGroup, string][] = [
  ["app", "Next.js app (next dev + next-server)"],
  ["worker", "worker (scripts/worker.ts)"],
  ["postgres", "embedded PostgreSQL (all processes)"],
  ["launcher", "launcher (scripts/dev.ts, S3 server, esbuild)"],
  ["total", "total"],
];

export function formatDevStartupReport(result: DevStartupResult): string {
  const { machine, baseline } = result;
  const lines: string[] = [
    `npm run dev start-up and idle memory: ${result.command}`,
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.totalMemoryMb} MB, Node ${machine.node}`,
    `Load average (1, 5, 15 min): ${formatLoadAverage(machine.loadAverage)} at start, ${formatLoadAverage(result.loadAverageAtEnd)} at end`,
    `Code: ${formatRevision(result.revision)}, started ${result.startedAt}`,
    `Ports: app ${result.ports.app}, PostgreSQL ${result.ports.postgres}, S3 ${result.ports.s3}; Turbopack cache in .next/dev before the run: ${result.turbopackCachePresent ? "present" : "absent"}`,
    "",
    renderTable(
      ["", ...result.starts.map((start) => start.label)],
      [
        ["spawn -> GET /sign-in 200 (s)", ...result.starts.map((start) => (start.readyMs / 1000).toFixed(1))],
        ...phaseNames(result.starts).map((name) => [
          `  ${name} (s)`,
          ...result.starts.map((start) => {
            const phase = start.phases.find((entry) => entry.name === name);

            return phase ? (phase.atMs / 1000).toFixed(1) : "-";
          }),
        ]),
        ["first 200 request, incl. compile (ms)", ...result.starts.map((start) => formatMs(start.firstPageRequestMs))],
        ["second request (ms)", ...result.starts.map((start) => formatMs(start.secondPageRequestMs))],
        ["SIGINT -> launcher exit (ms)", ...result.starts.map((start) => formatMs(start.stopMs))],
        ["launcher exit status", ...result.starts.map((start) => start.launcherExit)],
        ["processes left running after exit", ...result.starts.map((start) => String(start.leftRunning.length))],
      ],
    ),
    "",
    `Resident memory after ${result.options.idleSeconds} s idle (summed VmRSS in MB; PSS counts shared pages once; peak is the highest sample, taken every ${SAMPLE_INTERVAL_MS} ms):`,
    renderTable(
      ["", ...result.starts.flatMap((start) => [`${start.label} RSS`, "PSS", "peak RSS", "procs"])],
      GROUP_LABELS.map(([group, label]) => [
        label,
        ...result.starts.flatMap((start) => [
          start.idleMemory[group].rssMb.toFixed(0),
          start.idleMemory[group].pssMb === null ? "-" : start.idleMemory[group].pssMb!.toFixed(0),
          start.peakRssMb[group].toFixed(0),
          String(start.idleMemory[group].processes),
        ]),
      ]),
    ),
    `next-server process alone, idle RSS: ${result.starts.map((start) => `${start.label} ${start.nextServerIdleRssMb?.toFixed(0) ?? "-"} MB`).join(", ")}`,
    "",
    ...result.starts.flatMap((start) => [
      `Processes of at least ${LISTED_PROCESS_MIN_MB} MB RSS after the idle wait, ${start.label}:`,
      renderTable(
        ["group", "PID", "RSS MB", "command"],
        start.processes
          .filter((entry) => entry.rssMb >= LISTED_PROCESS_MIN_MB)
          .sort((a, b) => b.rssMb - a.rssMb)
          .map((entry) => [entry.group, String(entry.pid), entry.rssMb.toFixed(0), entry.command.slice(0, 90)]),
        [0, 3],
      ),
      "",
    ]),
    `Baseline: node -e 0 ${formatMs(baseline.nodeStartMs)} ms; node --import tsx -e 0 ${formatMs(baseline.tsxStartMs)} ms; npm --version ${formatMs(baseline.npmStartMs)} ms (median); idle node process RSS ${baseline.idleNodeRssMb?.toFixed(0) ?? "-"} MB`,
    "",
  ];

  for (const start of result.starts) {
    if (start.leftRunning.length > 0) lines.push(`${start.label}: killed after the launcher exited: ${start.leftRunning.join("; ")}`);
  }
  lines.push(...formatDevStartupVerdicts(result));

  return lines.join("\n");
}

/** Phase names in the order they happened in the first start that has them. */
function phaseNames(starts: StartMeasurement[]): string[] {
  const names: string[] = [];
  for (const start of starts) {
    for (const phase of start.phases) if (!names.includes(phase.name)) names.push(phase.name);
  }

  return names;
}

export function formatDevStartupVerdicts(result: DevStartupResult): string[] {
  const { targets } = result;
  const startLines = result.starts.map((start) => {
    const met = start.readyMs < targets.readyLimitMs;
    const over = met ? "" : ` (${((start.readyMs - targets.readyLimitMs) / 1000).toFixed(1)} s over)`;

    return `${met ? "PASS" : "MISS"} target (b) GET /sign-in 200 within ${targets.readyLimitMs / 1000} s, ${start.label}: ${(start.readyMs / 1000).toFixed(1)} s${over}`;
  });
  const memoryLines = result.starts.map((start) => {
    const rss = start.idleMemory.app.rssMb;
    const met = rss < targets.appRssLimitMb;
    const over = met ? "" : ` (${(rss - targets.appRssLimitMb).toFixed(0)} MB over)`;

    return `${met ? "PASS" : "MISS"} target (b) Next.js app idle RSS under ${targets.appRssLimitMb} MB, ${start.label}: ${rss.toFixed(0)} MB${over}; whole stack ${start.idleMemory.total.rssMb.toFixed(0)} MB`;
  });

  return [...startLines, ...memoryLines];
}

runBenchmarkCli({
  name: "dev-startup",
  moduleUrl: import.meta.url,
  help: HELP,
  parse: parseDevStartupArgs,
  run: runDevStartup,
  format: formatDevStartupReport,
});
