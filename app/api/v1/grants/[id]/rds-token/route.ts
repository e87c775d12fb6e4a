import { NextResponse } from "next/server";

import { issueRdsToken } from "@/lib/grants/aws-access";
import { withRoute } from "@/lib/route";

/** Issues a fresh RDS IAM auth token (valid 15 minutes) for a grant the caller holds, with connection details. */
export const GET = withRoute<{ id: string }>({ name: "grant-rds-token", roles: ["VENDOR"] }, async (_request, { actor, params }) => {
  const token = await issueRdsToken(actor, params.id);

  return NextResponse.json({
    token: token.token,
    expiresAt: token.expiresAt.toISOString(),
    usableUntil: token.usableUntil.toISOString(),
    host: token.host,
    port: token.port,
    database: token.database,
    user: token.user,
    caBundleUrl: token.caBundleUrl,
    caBundleFile: token.caBundleFile,
  });
});
