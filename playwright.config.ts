import { defineConfig, devices } from "@playwright/test";

// The browser tests run against a production build served by scripts/e2e-server.ts, which
// starts its own embedded PostgreSQL, local S3 server, fake AWS endpoint and worker on fixed local
// ports. Override with E2E_APP_PORT, E2E_POSTGRES_PORT, E2E_S3_PORT and E2E_AWS_PORT to run two
// suites side by side.
export const E2E_PORTS = {
  app: Number(process.env.E2E_APP_PORT ?? "3100"),
  postgres: Number(process.env.E2E_POSTGRES_PORT ?? "54339"),
  s3: Number(process.env.E2E_S3_PORT ?? "54340"),
  aws: Number(process.env.E2E_AWS_PORT ?? "54341"),
} as const;
const baseURL = `http://127.0.0.1:${E2E_PORTS.app}`;

// Chromium comes from Debian (apt-get install chromium); Playwright never downloads a browser here.
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"], ["json", { outputFile: "reports/e2e-results.json" }]] : [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
          ],
        },
      },
    },
  ],
  webServer: {
    command: "node --conditions=react-server --import tsx scripts/e2e-server.ts",
    url: `${baseURL}/sign-in`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
  },
});
