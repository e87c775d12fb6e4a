// Facts about the machine and its load, recorded with every result because the figures depend on both.
import { execFileSync } from "node:child_process";
import os from "node:os";

export type MachineInfo = {
  cpus: number;
  cpuModel: string;
  totalMemoryMb: number;
  node: string;
  /** The 1, 5 and 15 minute load averages from os.loadavg(). */
  loadAverage: [number, number, number];
};

export function describeMachine(): MachineInfo {
  const [one, five, fifteen] = os.loadavg();

  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    loadAverage: [round2(one!), round2(five!), round2(fifteen!)],
  };
}

export type RevisionInfo = {
  /** Short hash of HEAD, or "unknown" outside a git checkout. */
  commit: string;
  /** Tracked files that differ from HEAD when the run started; the figures measure the working tree. */
  modifiedFiles: number;
};

export function describeRevision(projectRoot: string): RevisionInfo {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: projectRoot, encoding: "utf8" }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: projectRoot, encoding: "utf8" });

    return { commit, modifiedFiles: status.split("\n").filter((line) => line.trim() !== "").length };
  } catch {
    return { commit: "unknown", modifiedFiles: 0 };
  }
}

export function formatRevision(revision: RevisionInfo): string {
  return revision.modifiedFiles === 0 ? `commit ${revision.commit}` : `commit ${revision.commit} with ${revision.modifiedFiles} modified tracked files`;
}

export function formatLoadAverage(load: readonly number[]): string {
  return load.map((value) => value.toFixed(2)).join(", ");
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
