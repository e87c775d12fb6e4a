import "server-only";

import PgBoss from "pg-boss";

import type { Tx } from "@/lib/db";
import { env } from "@/lib/env";
import type { Grant } from "@/lib/generated/prisma/client";
import { errorFields, log } from "@/lib/log";

export const QUEUES = {
  activateGrant: "grant-activate",
  expireGrant: "grant-expire",
  renderGrantEnd: "grant-render-end",
  sweep: "grant-sweep",
  reconcile: "target-reconcile",
  sendNotification: "notification-send",
  grantEndingReminder: "notification-grant-ending",
} as const;

/** `at` is the grant's start (activation) or end (expiry) when the job was scheduled, as ISO 8601. */
export type GrantJobData = { grantId: string; at: string };

// Retries with exponential backoff from 5 s: about 20 minutes across 8 attempts.
const GRANT_JOB_RETRY = { retryLimit: 8, retryDelay: 5, retryBackoff: true } as const;

const globalForBoss = globalThis as unknown as { pgBoss?: Promise<PgBoss> };

/**
 * The process's pg-boss client, started on first use. Web processes only send jobs; workers
 * (`startWorker`) also supervise and run the cron schedule.
 */
export function getBoss(): Promise<PgBoss> {
  globalForBoss.pgBoss ??= startBoss({ supervise: false, schedule: false }).catch((error: unknown) => {
    globalForBoss.pgBoss = undefined;
    throw error;
  });

  return globalForBoss.pgBoss;
}

export async function startBoss(options: { supervise: boolean; schedule: boolean }): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: env.DATABASE_URL,
    schema: "pgboss",
    application_name: "vendor-access-portal",
    max: 4,
    migrate: true,
    ...options,
  });
  boss.on("error", (error: unknown) => log.error(errorFields(error), "pg-boss error"));
  await boss.start();
  for (const name of Object.values(QUEUES)) {
    await createQueueRetryingDeadlock(boss, name);
  }

  return boss;
}

const DEADLOCK_DETECTED = "40P01";
const CREATE_QUEUE_ATTEMPTS = 5;

/**
 * Creates a queue if it is missing. Workers that start together on a database without the queues
 * create them at the same time, and pg-boss 10.4 can then deadlock while attaching the queues'
 * partition tables (SQLSTATE 40P01). PostgreSQL rolls the losing call back, so it is tried again.
 */
async function createQueueRetryingDeadlock(boss: PgBoss, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await boss.createQueue(name);

      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== DEADLOCK_DETECTED || attempt >= CREATE_QUEUE_ATTEMPTS) throw error;
      log.warn({ queue: name, attempt }, "pg-boss queue creation deadlocked with another process; retrying");
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
}

/** Lets pg-boss insert jobs through a Prisma transaction, so they commit or roll back with it. */
export function transactionExecutor(tx: Tx) {
  return {
    executeSql: async (text: string, values: unknown[]) => ({ rows: await tx.$queryRawUnsafe<unknown[]>(text, ...values) }),
  };
}

/**
 * Enqueues a grant's activation at its start and expiry at its end, in the caller's transaction,
 * so the jobs exist exactly when the grant does.
 */
export async function scheduleGrantJobs(tx: Tx, grant: Pick<Grant, "id" | "startsAt" | "endsAt">): Promise<void> {
  const boss = await getBoss();
  const db = transactionExecutor(tx);
  await boss.send(QUEUES.activateGrant, { grantId: grant.id, at: grant.startsAt.toISOString() } satisfies GrantJobData, {
    ...GRANT_JOB_RETRY,
    startAfter: grant.startsAt,
    singletonKey: `activate:${grant.id}:${grant.startsAt.toISOString()}`,
    db,
  });
  await scheduleGrantExpiry(tx, grant);
}

/** Enqueues the expiry at the grant's current end; call again when an extension moves the end. */
export async function scheduleGrantExpiry(tx: Tx, grant: Pick<Grant, "id" | "endsAt">): Promise<void> {
  const boss = await getBoss();
  const db = transactionExecutor(tx);

  await boss.send(QUEUES.expireGrant, { grantId: grant.id, at: grant.endsAt.toISOString() } satisfies GrantJobData, {
    ...GRANT_JOB_RETRY,
    startAfter: grant.endsAt,
    singletonKey: `expire:${grant.id}:${grant.endsAt.toISOString()}`,
    db,
  });
}

/** Stops this process's sending client, if one was started (for tests and clean shutdown). */
export async function stopBoss(): Promise<void> {
  const pending = globalForBoss.pgBoss;
  globalForBoss.pgBoss = undefined;
  if (pending) await (await pending).stop({ graceful: false, wait: true });
}

/** Enqueues re-rendering a grant's new end at its target, in the caller's transaction. */
export async function scheduleGrantEndRender(tx: Tx, grant: Pick<Grant, "id" | "endsAt">): Promise<void> {
  const boss = await getBoss();

  await boss.send(QUEUES.renderGrantEnd, { grantId: grant.id, at: grant.endsAt.toISOString() } satisfies GrantJobData, {
    ...GRANT_JOB_RETRY,
    singletonKey: `render-end:${grant.id}:${grant.endsAt.toISOString()}`,
    db: transactionExecutor(tx),
  });
}
