// `npm run bench`: runs bench/approval-latency.ts and bench/dev-startup.ts one after the other, each
// in its own Node process, prints both reports and a summary against the project targets.
// The targets are informational: the exit code is 1 only when a benchmark itself fails.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { formatApprovalReport, type ApprovalLatencyResult } from "./approval-latency";
import { formatDevStartupReport, type DevStartupResult } from "./dev-startup";
import { formatMs, renderTable } from "./lib/stats";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = path.resolve(BENCH_DIR, "..");

const HELP = `Usage: npm run bench -- [options]

Runs bench/approval-latency.ts, then bench/dev-startup.ts, and prints a summary.

Options:
  --approvals N      measured approvals (default 120)
  --idle-seconds S   idle time of the dev stack before memory is read (default 20)
  --skip-approval    do not run the approval benchmark
  --skip-dev         do not run the dev start-up benchmark
  --json             print one JSON object with both results instead of tables
  --help             print this text
`;

type ChildResult<T> = { result: T | null; error: string | null };

let currentChild: ChildProcess | null = null;

/** Runs one benchmark with --json and parses its standard output. Progress goes to stderr as it comes. */
function runBenchmark<T>(file: string, args: string[]): Promise<ChildResult<T>> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(BENCH_DIR, file), "--json", ...args], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    currentChild = child;
    const chunks: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.once("error", (error) => {
      currentChild = null;
      resolve({ result: null, error: `${file} could not be started: ${error.message}` });
    });
    child.once("close", (code, signal) => {
      currentChild = null;
      const text = Buffer.concat(chunks).toString("utf8");
      let result: T | null = null;
      try {
        result = text.trim() === "" ? null : (JSON.parse(text) as T);
      } catch {
        resolve({ result: null, error: `${file} printed output that is not JSON:\n${text.slice(0, 2000)}` });

        return;
      }
      const failed = code !== 0 || signal !== null;
      resolve({ result, error: failed ? `${file} exited with ${signal ?? `code ${code}`}` : null });
    });
  });
}

function summarize(approval: ChildResult<ApprovalLatencyResult> | null, dev: ChildResult<DevStartupResult> | null): string {
  const rows: string[][] = [];
  if (approval?.result) {
    const { target } = approval.result;
    rows.push([
      `(a) approval -> ready p95 < ${target.p95LimitMs} ms over >= ${target.minimumCount}`,
      `p95 ${formatMs(target.p95Ms)} ms over ${target.count}`,
      target.met ? "PASS" : "MISS",
    ]);
  } else if (approval) {
    rows.push(["(a) approval -> ready", "benchmark failed", "-"]);
  }
  if (dev?.result) {
    const { targets } = dev.result;
    for (const start of dev.result.starts) {
      rows.push([
        `(b) npm run dev: /sign-in 200 within ${targets.readyLimitMs / 1000} s, ${start.label}`,
        `${(start.readyMs / 1000).toFixed(1)} s`,
        start.readyMs < targets.readyLimitMs ? "PASS" : "MISS",
      ]);
    }
    for (const start of dev.result.starts) {
      const rss = start.idleMemory.app.rssMb;
      rows.push([
        `(b) Next.js app idle RSS < ${targets.appRssLimitMb} MB, ${start.label}`,
        `${rss.toFixed(0)} MB (stack ${start.idleMemory.total.rssMb.toFixed(0)} MB)`,
        rss < targets.appRssLimitMb ? "PASS" : "MISS",
      ]);
    }
  } else if (dev) {
    rows.push(["(b) npm run dev", "benchmark failed", "-"]);
  }

  return renderTable(["target", "measured", "result"], rows, [0, 1]);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        approvals: { type: "string" },
        "idle-seconds": { type: "string" },
        "skip-approval": { type: "boolean", default: false },
        "skip-dev": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun with --help for the options.\n`);
    process.exitCode = 1;

    return;
  }
  if (values.help) {
    process.stdout.write(HELP);

    return;
  }

  // Children run in this process group, so Ctrl-C reaches them directly. SIGTERM is passed on.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => currentChild?.kill("SIGTERM"));

  const approval = values["skip-approval"]
    ? null
    : await runBenchmark<ApprovalLatencyResult>("approval-latency.ts", values.approvals ? ["--approvals", values.approvals] : []);
  const dev = values["skip-dev"]
    ? null
    : await runBenchmark<DevStartupResult>("dev-startup.ts", values["idle-seconds"] ? ["--idle-seconds", values["idle-seconds"]] : []);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ approvalLatency: approval?.result ?? null, devStartup: dev?.result ?? null }, null, 2)}\n`);
  } else {
    const sections: string[] = [];
    if (approval?.result) sections.push(formatApprovalReport(approval.result));
    if (dev?.result) sections.push(formatDevStartupReport(dev.result));
    sections.push(`Summary (informational targets; docs/benchmarks.md explains each figure):\n${summarize(approval, dev)}`);
    process.stdout.write(`${sections.join("\n\n========\n\n")}\n`);
  }

  const errors = [approval?.error, dev?.error].filter((error): error is string => typeof error === "string");
  if (errors.length > 0) {
    process.stderr.write(`${errors.join("\n")}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
