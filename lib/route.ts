import "server-only";

import { NextResponse, type NextRequest } from "next/server";

import { getActor, type Actor } from "@/lib/auth/session";
import { AppError, httpStatusOf } from "@/lib/errors";
import type { UserRole } from "@/lib/generated/prisma/enums";
import { errorFields, log } from "@/lib/log";
import { authenticateApiToken } from "@/lib/tokens/service";

type RouteContext<P> = { params: Promise<P> };

/**
 * The boundary for route handlers: authenticates with a bearer API token or the browser session,
 * checks the role, runs the handler and maps errors to JSON with the right status. Unknown errors
 * are logged once and answered with a generic message.
 */
export function withRoute<P extends Record<string, string>>(
  options: { name: string; roles: readonly UserRole[] },
  handler: (request: NextRequest, context: { actor: Actor; params: P }) => Promise<Response>,
) {
  return async (request: NextRequest, context: RouteContext<P>): Promise<Response> => {
    try {
      const actor = await authenticate(request);
      if (!actor) throw new AppError("UNAUTHENTICATED", "Missing, invalid or expired credentials. Send a valid API token as 'Authorization: Bearer vap_…'.");
      if (!options.roles.includes(actor.role)) throw new AppError("NOT_FOUND", "Not found.");

      const response = await handler(request, { actor, params: await context.params });
      response.headers.set("Cache-Control", "no-store");

      return response;
    } catch (error) {
      if (error instanceof AppError) {
        if (error.cause !== undefined) log.warn({ route: options.name, code: error.code, ...errorFields(error.cause) }, "route failed");

        return NextResponse.json(
          { error: { code: error.code, message: error.message, fieldErrors: error.fieldErrors } },
          { status: httpStatusOf(error), headers: { "Cache-Control": "no-store" } },
        );
      }
      log.error({ route: options.name, ...errorFields(error) }, "route failed unexpectedly");

      return NextResponse.json({ error: { code: "INTERNAL", message: "Something went wrong on our side." } }, { status: 500 });
    }
  };
}

async function authenticate(request: NextRequest): Promise<Actor | null> {
  const header = request.headers.get("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);

    return match ? authenticateApiToken(match[1]!) : null;
  }

  return getActor();
}
