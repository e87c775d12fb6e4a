// Reads process trees and their memory from /proc (Linux only).
import { readdirSync, readFileSync } from "node:fs";

export type ProcessInfo = {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot, field 22 of /proc/<pid>/stat, which distinguishes a reused PID. */
  startTime: number;
  /** The command line with NUL bytes replaced by spaces, or the process title a program set. */
  command: string;
  rssKb: number;
  /** Proportional set size from /proc/<pid>/smaps_rollup, or null where it cannot be read. */
  pssKb: number | null;
};

/** Reads one process, or returns null when it has exited or cannot be read. */
export function readProcess(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may contain spaces and parentheses, so fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const startTime = Number(fields[19]);
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    const rssKb = readStatusField(readFileSync(`/proc/${pid}/status`, "utf8"), "VmRSS");

    return { pid, ppid, startTime, command, rssKb: rssKb ?? 0, pssKb: readPss(pid) };
  } catch {
    return null;
  }
}

/** Lists every process that is `rootPid` or descends from it, the root first. */
export function listProcessTree(rootPid: number): ProcessInfo[] {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = readParentPid(Number(entry));
    if (ppid === null) continue;
    const siblings = byParent.get(ppid) ?? [];
    siblings.push(Number(entry));
    byParent.set(ppid, siblings);
  }

  const tree: ProcessInfo[] = [];
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.shift()!;
    const info = readProcess(pid);
    if (!info) continue;
    tree.push(info);
    pending.push(...(byParent.get(pid) ?? []));
  }

  return tree;
}

/** True when `pid` is alive and is the same process as when `startTime` was read. */
export function isSameProcessAlive(pid: number, startTime: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");

    // A zombie has exited and only waits for its parent to collect the status.
    return fields[0] !== "Z" && Number(fields[19]) === startTime;
  } catch {
    return false;
  }
}

function readParentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");

    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function readStatusField(status: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);

  return match ? Number(match[1]) : null;
}

function readPss(pid: number): number | null {
  try {
    return readStatusField(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss");
  } catch {
    return null;
  }
}
