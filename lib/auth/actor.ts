import { AppError } from "@/lib/errors";
import type { UserRole } from "@/lib/generated/prisma/enums";

// Kept apart from session.ts, which imports Next.js and next-auth, so domain services that only
// need the caller's identity load in plain Node too (scripts, benchmarks).

/** The signed-in caller, as loaded fresh from the database on every request. */
export type Actor = {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  vendorId: string | null;
  vendorName: string | null;
};

export function vendorIdOf(actor: Actor): string {
  if (actor.role !== "VENDOR" || !actor.vendorId) {
    throw new AppError("FORBIDDEN", "This action is only for vendor users.");
  }

  return actor.vendorId;
}
