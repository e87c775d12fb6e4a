import "server-only";

import type PgBoss from "pg-boss";

import { db } from "@/lib/db";
import { renderGrantEnd } from "@/lib/grants/extend";
import { activateGrant, expireGrant } from "@/lib/grants/lifecycle";
import { sweepDueGrants } from "@/lib/grants/sweep";
import { log } from "@/lib/log";
import { handleSendNotificationJobs } from "@/lib/notifications/deliver";
import type { SendNotificationJobData } from "@/lib/notifications/enqueue";
import { sendGrantEndingReminder } from "@/lib/notifications/reminders";
import { logReconcileSummary, reconcileAll } from "@/lib/reconcile";

import { QUEUES, startBoss, type GrantJobData } from "./queue";

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
  // A failed expiry fails the batch, which pg-boss retries; expiring an expired grant is a no-op.
  await boss.work<GrantJobData>(QUEUES.expireGrant, { pollingIntervalSeconds, batchSize: 8 }, async (jobs) => {
    const results = await Promise.allSettled(jobs.map((job) => runExpiryJob(job.data)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) throw failure.reason;
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

async function runExpiryJob(data: GrantJobData): Promise<void> {
  const outcome = await expireGrant(data.grantId);
  if (outcome === "not-due" && (await grantEndOf(data.grantId))?.toISOString() === data.at) {
    // The job ran a moment early because the database clock is ahead of this host's: retry.
    // A job for an end that an extension has since moved is stale and simply completes.
    throw new Error(`grant ${data.grantId} has not reached its end yet`);
  }
  log.debug({ grantId: data.grantId, outcome }, "expiry job done");
}

async function grantEndOf(grantId: string): Promise<Date | null> {
  const grant = await db.grant.findUnique({ where: { id: grantId }, select: { endsAt: true } });

  return grant?.endsAt ?? null;
}
