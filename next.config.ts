import type { NextConfig } from "next";

// Validates settings when the server starts, so a missing one stops it with a clear message.
import "./lib/env";

const nextConfig: NextConfig = {
  serverExternalPackages: ["@node-rs/argon2", "pg", "pg-boss", "pino", "@prisma/adapter-pg"],
  poweredByHeader: false,
  typedRoutes: false,
  // Server action arguments can hold justifications and object names; keep them out of the dev log.
  logging: { serverFunctions: false },
  // `next dev` would otherwise write AGENTS.md files into the repository.
  agentRules: false,
  experimental: {
    agentUpgrade: false,
    // Turbopack runs PostCSS (Tailwind CSS) in worker threads of next-server instead of a pool of
    // Node.js processes that stay alive while idle (65 to 95 MB each here). Next.js 16.5 turns this
    // off itself on Node.js 24.13.1 and later, and warns, so it is only asked for below that.
    ...(workerThreadsAreSafe() ? { turbopackPluginRuntimeStrategy: "workerThreads" as const } : {}),
  },
};

/** Returns false on Node.js 24.13.1 and later, where a worker teardown bug can abort the process (nodejs/node#65100). */
function workerThreadsAreSafe(): boolean {
  const [major = 0, minor = 0, patch = 0] = process.versions.node.split(".").map(Number);

  return major < 24 || (major === 24 && (minor < 13 || (minor === 13 && patch < 1)));
}

export default nextConfig;
