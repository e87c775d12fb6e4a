import { NextResponse } from "next/server";

import { withRoute } from "@/lib/route";

/** Who the caller is: a quick check that an API token works. */
export const GET = withRoute({ name: "me", roles: ["VENDOR", "APPROVER", "ADMIN"] }, async (_request, { actor }) =>
  NextResponse.json({ id: actor.id, email: actor.email, name: actor.name, role: actor.role, vendor: actor.vendorName }),
);
