import { defineConfig } from "prisma/config";

// The CLI reads DATABASE_URL only for commands that connect; `prisma generate` does not need it.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: {
    path: "prisma/migrations",
  },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/unset",
  },
});
