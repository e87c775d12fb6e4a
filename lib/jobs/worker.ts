import "server-only";

import type PgBoss from "pg-boss";

import { db } from "@/lib/db";
import { renderGrantEnd } from "@/lib/grants/extend";
import { activateGrant, expireGrant } from "@/lib/grants/lifecycle";
import { sweepDueGrants } from "@/lib/grants/sweep";
import { AppError } from "@/lib/errors";
import { errorFields, log } from "@/lib/log";
import { handleSendNotificationJobs } from "@/lib/notifications/deliver";
import type { SendNotificationJobData } from "@/lib/notifications/enqueue";
import { sendGrantEndingReminder } from "@/lib/notifications/reminders";
import { logReconcileSummary, reconcileAll } from "@/lib/reconcile";

import { QUEUES, startBoss, type GrantJobData } from "./queue";

// Expiries run together per fetch. Each uses a portal database connection (the pool has 10) and
// a management connection to its target for about 150 ms.
const EXPIRY_BATCH_SIZE = 8;

export type WorkerOptions = {
  /** How often idle workers poll for due jobs; pg-boss accepts 0.5 s and up. */
  pollingIntervalSeconds?: number;
};

/**
 * Starts the job worker: grant activation and expiry at their times, a sweep every minute that
 * catches anything a lost job missed, a reconcile every minute that repairs drift at the targets,
 * notification deliveries and grant-ending reminders. Several workers on one database share the
 * jobs: pg-boss hands each job to one of them, and the grant row lock stops a double activation.
 */
export async function startWorker(options: WorkerOptions = {}): Promise<{ boss: PgBoss; stop: () => Promise<void> }> {
  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 1;
  const boss = await startBoss({ supervise: true, schedule: true });

  await boss.work<GrantJobData>(QUEUES.activateGrant, { pollingIntervalSeconds, batchSize: 4 }, async (jobs) => {
    for (const job of jobs) {
      const outcome = await activateGrant(job.data.grantId);
      log.debug({ grantId: job.data.grantId, outcome }, "activation job done");
    }
  });
  // Grants often end together (a whole minute, a shift), so a batch is expired concurrently: each
  // expiry waits mostly on the target, and the grant row lock keeps two paths off the same grant.
  // A full batch means more are due, so the worker fetches again at once instead of waiting for
  // its next poll. A failed expiry fails only its own job, which pg-boss retries, and the rest
  // complete. A batch that ends before work() has returned the id waits for the next poll.
  const expiryWorker: { id?: string } = {};
  expiryWorker.id = await boss.work<GrantJobData>(QUEUES.expireGrant, { pollingIntervalSeconds, batchSize: EXPIRY_BATCH_SIZE }, async (jobs) => {
    const results = await Promise.allSettled(jobs.map((job) => runExpiryJob(job.data)));
    await failRejectedJobs(boss, QUEUES.expireGrant, jobs, results);
    if (jobs.length === EXPIRY_BATCH_SIZE && expiryWorker.id !== undefined) boss.notifyWorker(expiryWorker.id);
  });
  await boss.work<GrantJobData>(QUEUES.renderGrantEnd, { pollingIntervalSeconds, batchSize: 4 }, async (jobs) => {
    for (const job of jobs) {
      const outcome = await renderGrantEnd(job.data.grantId);
      log.debug({ grantId: job.data.grantId, outcome }, "grant end render job done");
    }
  });
  await boss.work<SendNotificationJobData>(QUEUES.sendNotification, { pollingIntervalSeconds, batchSize: 8, includeMetadata: true }, async (jobs) => {
    await handleSendNotificationJobs(boss, jobs);
  });
  await boss.work<GrantJobData>(QUEUES.grantEndingReminder, { pollingIntervalSeconds, batchSize: 8 }, async (jobs) => {
    for (const job of jobs) await sendGrantEndingReminder(job.data);
  });
  await boss.work(QUEUES.sweep, { pollingIntervalSeconds: 5 }, async () => {
    const result = await sweepDueGrants();
    if (result.activated + result.expired + result.requestsExpired + result.errors > 0) {
      log.info(result, "sweep finished");
    }
  });
  await boss.schedule(QUEUES.sweep, "* * * * *");
  await boss.work(QUEUES.reconcile, { pollingIntervalSeconds: 5 }, async () => {
    logReconcileSummary(await reconcileAll());
  });
  await boss.schedule(QUEUES.reconcile, "* * * * *");
  log.info({ pollingIntervalSeconds }, "worker started");

  return {
    boss,
    stop: async () => {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      log.info("worker stopped");
    },
  };
}

/**
 * Fails the jobs of a batch whose handler rejected, each with its own error. pg-boss 10 then
 * completes only the jobs still active (its completeJobs query), so one failure does not retry
 * the whole batch.
 */
async function failRejectedJobs<T>(boss: PgBoss, queue: string, jobs: PgBoss.Job<T>[], results: PromiseSettledResult<unknown>[]): Promise<void> {
  for (const [index, result] of results.entries()) {
    if (result.status === "fulfilled") continue;
    const job = jobs[index];
    if (job === undefined) continue;
    log.error({ queue, jobId: job.id, ...errorFields(result.reason) }, "job failed; pg-boss retries it until its retry limit");
    await boss.fail(queue, job.id, { message: safeJobError(result.reason) });
  }
}

/** Returns the message to store on a failed job: an AppError's message, which is safe to show, or else only the error's name. */
function safeJobError(error: unknown): string {
  if (error instanceof AppError) return error.message;

  return error instanceof Error ? error.name : "unknown error";
}

async function runExpiryJob(data: GrantJobData): Promise<void> {
  const outcome = await expireGrant(data.grantId);
  if (outcome === "not-due" && (await grantEndOf(data.grantId))?.toISOString() === data.at) {
    // The job ran a moment early because the database clock is ahead of this host's: retry.
    // A job for an end that an extension has since moved is stale and simply completes.
    throw new AppError("INVALID_STATE", `Grant ${data.grantId} has not reached its end yet.`);
  }
  log.debug({ grantId: data.grantId, outcome }, "expiry job done");
}

async function grantEndOf(grantId: string): Promise<Date | null> {
  const grant = await db.grant.findUnique({ where: { id: grantId }, select: { endsAt: true } });

  return grant?.endsAt ?? null;
}
