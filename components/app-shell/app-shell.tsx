import { ShieldCheck } from "lucide-react";
import Link from "next/link";
import type * as React from "react";

import type { UserRole } from "@/lib/generated/prisma/enums";

import { MainNav } from "./main-nav";
import { getNavItems } from "./nav-items";

export type AppShellUser = {
  name: string;
  email: string;
  role: UserRole;
  /** The vendor company, shown for VENDOR users. */
  vendorName?: string;
};

export type AppShellProps = {
  user: AppShellUser;
  /** The sign-out control, usually `<SignOutForm …/>`, so the caller decides how sign-out works. */
  signOut: React.ReactNode;
  children: React.ReactNode;
};

const ROLE_LABELS: Record<UserRole, string> = {
  VENDOR: "Vendor",
  APPROVER: "Approver",
  ADMIN: "Admin",
};

/**
 * Renders the signed-in page frame: skip link, top bar with product name, role navigation, the
 * user's name and role, the sign-out control, and the `<main>` landmark for `children`.
 * On narrow screens the navigation wraps onto its own row under the product name.
 */
export function AppShell({ user, signOut, children }: AppShellProps) {
  const homeHref = getNavItems(user.role)[0]?.href ?? "/";
  const roleLabel =
    user.role === "VENDOR" && user.vendorName ? `${user.vendorName} (vendor)` : ROLE_LABELS[user.role];

  return (
    <div className="flex min-h-dvh flex-col">
      <a
        href="#main-content"
        className="sr-only rounded-md bg-card px-4 py-2 text-sm font-medium text-foreground shadow-md focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50"
      >
        Skip to main content
      </a>

      <header className="border-b bg-card">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-8 gap-y-2 px-4 py-3 sm:px-6">
          <Link
            href={homeHref}
            className="flex items-center gap-2 rounded-md text-base font-semibold text-foreground"
          >
            <ShieldCheck aria-hidden="true" className="size-5 text-primary" />
            Vendor Access Portal
          </Link>

          <MainNav role={user.role} className="order-last -mx-3 w-full md:order-none md:mx-0 md:w-auto md:flex-1" />

          <div className="ml-auto flex items-center gap-3">
            <div className="text-right leading-tight">
              <p className="text-sm font-medium text-foreground">{user.name}</p>
              <p className="text-xs text-muted-foreground">{roleLabel}</p>
            </div>
            {signOut}
          </div>
        </div>
      </header>

      <main id="main-content" tabIndex={-1} className="mx-auto w-full max-w-6xl flex-1 px-4 py-8 outline-none sm:px-6">
        {children}
      </main>
    </div>
  );
}
