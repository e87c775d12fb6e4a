#!/bin/sh
# Stand-in for Prisma's schema-engine binary, which cannot be downloaded offline.
# `prisma generate` only checks that the file exists; migrate commands go through `npm run db:migrate`.
echo "The Prisma schema-engine binary is not installed. Use 'npm run db:migrate' (it runs the engine as WebAssembly)." >&2
exit 1
