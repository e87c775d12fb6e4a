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
  experimental: { agentUpgrade: false },
};

export default nextConfig;
