import { Building2, Bell, ClipboardList, FilePlus, Inbox, KeyRound, KeySquare, ScrollText, Wrench, type LucideIcon } from "lucide-react";

import type { UserRole } from "@/lib/generated/prisma/enums";

export type NavItem = {
  href: string;
  label: string;
  icon: LucideIcon;
};

const REVIEW_QUEUE: NavItem = { href: "/reviews", label: "Review queue", icon: Inbox };
const GRANTS: NavItem = { href: "/grants", label: "Grants", icon: KeyRound };
const API_TOKENS: NavItem = { href: "/settings/tokens", label: "API tokens", icon: KeySquare };

const NAV_ITEMS: Record<UserRole, NavItem[]> = {
  VENDOR: [
    { href: "/requests", label: "My requests", icon: ClipboardList },
    { href: "/requests/new", label: "New request", icon: FilePlus },
    { href: "/grants", label: "My grants", icon: KeyRound },
    API_TOKENS,
  ],
  APPROVER: [REVIEW_QUEUE, GRANTS],
  ADMIN: [
    REVIEW_QUEUE,
    GRANTS,
    { href: "/admin/grants", label: "Provisioning", icon: Wrench },
    { href: "/admin/vendors", label: "Vendors", icon: Building2 },
    { href: "/admin/audit", label: "Audit log", icon: ScrollText },
    { href: "/admin/notifications", label: "Notifications", icon: Bell },
  ],
};

/** Returns the navigation links for a role, in display order. The first is the role's home page. */
export function getNavItems(role: UserRole): NavItem[] {
  return NAV_ITEMS[role];
}

/**
 * Returns the href of the item that contains `pathname`: an exact match or the longest
 * href that is a path prefix, so "/requests/new" selects "New request" and "/requests/abc"
 * selects "My requests". Returns undefined when no item contains the page.
 */
export function findCurrentHref(items: NavItem[], pathname: string): string | undefined {
  let current: string | undefined;

  for (const { href } of items) {
    const contains = pathname === href || pathname.startsWith(`${href}/`);
    if (contains && (current === undefined || href.length > current.length)) {
      current = href;
    }
  }

  return current;
}
