// `npm run dev`: the whole portal on one machine with no configuration. See README.md.
import path from "node:path";

import { describeDemoSignIns, startStack } from "./lib/stack";

const dataDir = path.resolve(process.env.PORTAL_DATA_DIR ?? ".data/dev");
const started = performance.now();

const stack = await startStack({
  dataDir,
  appPort: Number(process.env.PORT ?? "3000"),
  postgresPort: Number(process.env.DEV_POSTGRES_PORT ?? "54329"),
  s3Port: Number(process.env.DEV_S3_PORT ?? "54330"),
  nextMode: process.argv.includes("--production") ? "start" : "dev",
});

console.log(
  [
    "",
    `Vendor Access Portal is running at ${stack.appUrl} (ready in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    `Local S3 server: ${stack.s3Endpoint}   Data folder: ${path.relative(process.cwd(), dataDir)}`,
    "",
    describeDemoSignIns(),
    "",
    "Press Ctrl-C to stop everything.",
  ].join("\n"),
);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping…");
  await stack.stop();
  process.exit(0);
}

process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
