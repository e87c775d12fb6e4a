import "server-only";

import type PgBoss from "pg-boss";

import { activateGrant, expireGrant } from "@/lib/grants/lifecycle";
import { sweepDueGrants } from "@/lib/grants/sweep";
import { log } from "@/lib/log";

import { QUEUES, startBoss, type GrantJobData } from "./queue";

export type WorkerOptions = {
  /** How often idle workers poll for due jobs; pg-boss accepts 0.5 s and up. */
  pollingIntervalSeconds?: number;
};

/**
 * Starts the job worker: grant activation and expiry at their times, and a sweep every minute that
 * catches anything a lost job missed. Several workers on one database share the jobs: pg-boss hands
 * each job to one of them, and the grant row lock stops a double activation.
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
  await boss.work<GrantJobData>(QUEUES.expireGrant, { pollingIntervalSeconds, batchSize: 16 }, async (jobs) => {
    for (const job of jobs) {
      const outcome = await expireGrant(job.data.grantId);
      // The job may run a moment early when the database clock is ahead of this host's; retry it.
      if (outcome === "not-due") throw new Error(`grant ${job.data.grantId} has not reached its end yet`);
      log.debug({ grantId: job.data.grantId, outcome }, "expiry job done");
    }
  });
  await boss.work(QUEUES.sweep, { pollingIntervalSeconds: 5 }, async () => {
    const result = await sweepDueGrants();
    if (result.activated + result.expired + result.requestsExpired + result.errors > 0) {
      log.info(result, "sweep finished");
    }
  });
  await boss.schedule(QUEUES.sweep, "* * * * *");
  log.info({ pollingIntervalSeconds }, "worker started");

  return {
    boss,
    stop: async () => {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      log.info("worker stopped");
    },
  };
}
