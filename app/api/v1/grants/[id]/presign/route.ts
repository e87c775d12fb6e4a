import { NextResponse } from "next/server";
import { z } from "zod";

import { issueDownloadUrl, issueUploadUrl } from "@/lib/grants/access";
import { withRoute } from "@/lib/route";
import { parseInput } from "@/lib/zod-errors";

const ZPresignInput = z.discriminatedUnion("method", [
  z.object({ method: z.literal("PUT"), fileName: z.string().min(1, "Give the object name to upload to.") }),
  z.object({ method: z.literal("GET"), key: z.string().min(1, "Give the full key of the object to download.") }),
]);

/** A presigned upload (PUT, with the headers that must be sent) or download (GET) URL for a grant the caller holds. */
export const POST = withRoute<{ id: string }>({ name: "grant-presign", roles: ["VENDOR"] }, async (request, { actor, params }) => {
  const body: unknown = await request.json().catch(() => null);
  const input = parseInput(ZPresignInput, body);
  const presigned = input.method === "PUT" ? await issueUploadUrl(actor, params.id, input.fileName) : await issueDownloadUrl(actor, params.id, input.key);

  return NextResponse.json({
    method: presigned.method,
    url: presigned.url,
    headers: presigned.headers,
    key: presigned.key,
    expiresAt: presigned.expiresAt.toISOString(),
  });
});
