// Per-file setup for the integration project. It runs before the test file imports any app
// module, so lib/env.ts validates these values instead of a developer's .env.
import { inject } from "vitest";

process.env.DATABASE_URL = inject("databaseUrl");
process.env.NEXTAUTH_SECRET = "integration-test-secret-0123456789abcdef";
process.env.NEXTAUTH_URL = "http://127.0.0.1:3000";
process.env.LOG_LEVEL = "silent";
