// `npm run worker`: runs grant activation and expiry, notifications, the sweep and the reconciler
// on their own, for production. Several workers may share one database.
import { startWorker } from "@/lib/jobs/worker";
import { errorFields, log } from "@/lib/log";

const pollingIntervalSeconds = Number(process.env.WORKER_POLLING_SECONDS ?? "1");

const worker = await startWorker({ pollingIntervalSeconds });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "worker stopping");
  try {
    await worker.stop();
    process.exit(0);
  } catch (error) {
    log.error(errorFields(error), "worker did not stop cleanly");
    process.exit(1);
  }
}

process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
