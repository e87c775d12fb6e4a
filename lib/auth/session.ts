import "server-only";

import { getServerSession } from "next-auth";
import { notFound, redirect } from "next/navigation";

import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import type { UserRole } from "@/lib/generated/prisma/enums";

import type { Actor } from "./actor";
import { authOptions } from "./options";

export { vendorIdOf, type Actor } from "./actor";

/** Returns the signed-in, enabled user, or null. A disabled user's session stops working at once. */
export async function getActor(): Promise<Actor | null> {
  const session = await getServerSession(authOptions);
  const userId = session?.user?.id;
  if (!userId) return null;

  const user = await db.user.findUnique({ where: { id: userId }, include: { vendor: true } });
  if (!user || user.disabledAt) return null;

  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    vendorId: user.vendorId,
    vendorName: user.vendor?.name ?? null,
  };
}

/**
 * For pages: sends anonymous visitors to sign-in and returns 404 to a role that may not see the
 * page, so the page's existence is not confirmed to them.
 */
export async function requirePageActor(roles: readonly UserRole[], returnTo: string): Promise<Actor> {
  const actor = await getActor();
  if (!actor) redirect(`/sign-in?callbackUrl=${encodeURIComponent(returnTo)}`);
  if (!roles.includes(actor.role)) notFound();

  return actor;
}

/** For server actions and route handlers: throws AppError instead of redirecting. */
export async function requireActor(roles: readonly UserRole[]): Promise<Actor> {
  const actor = await getActor();
  if (!actor) throw new AppError("UNAUTHENTICATED", "Your session has ended. Sign in again.");
  if (!roles.includes(actor.role)) throw new AppError("NOT_FOUND", "Not found.");

  return actor;
}
