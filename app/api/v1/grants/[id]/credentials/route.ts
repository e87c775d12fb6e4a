import { NextResponse } from "next/server";
import { z } from "zod";

import { AppError } from "@/lib/errors";
import { issueAwsCredentials } from "@/lib/grants/aws-access";
import { withRoute } from "@/lib/route";

const ZFormat = z.enum(["credential_process", "env", "profile"]);

/**
 * Temporary AWS credentials for a grant the caller holds. `format=credential_process` (the
 * default) returns the JSON the AWS CLI's credential_process expects; `env` and `profile` return
 * shell exports and a ~/.aws/credentials block as text.
 */
export const GET = withRoute<{ id: string }>({ name: "grant-credentials", roles: ["VENDOR"] }, async (request, { actor, params }) => {
  const format = ZFormat.safeParse(request.nextUrl.searchParams.get("format") ?? "credential_process");
  if (!format.success) {
    throw new AppError("INVALID_INPUT", "Query parameter format must be credential_process, env or profile.", {
      fieldErrors: { format: ["Use credential_process, env or profile."] },
    });
  }
  const issued = await issueAwsCredentials(actor, params.id);

  if (format.data === "env") return new NextResponse(issued.shellExports, { headers: { "Content-Type": "text/plain; charset=utf-8" } });
  if (format.data === "profile") return new NextResponse(issued.credentialsProfile, { headers: { "Content-Type": "text/plain; charset=utf-8" } });

  return new NextResponse(issued.credentialProcessJson, { headers: { "Content-Type": "application/json" } });
});
