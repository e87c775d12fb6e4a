"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

import type { UserRole } from "@/lib/generated/prisma/enums";
import { cn } from "@/lib/utils";

import { findCurrentHref, getNavItems } from "./nav-items";

/**
 * Renders the role's navigation links and marks the current section with `aria-current="page"`,
 * also on pages below it such as a single request under "My requests".
 */
export function MainNav({ role, className }: { role: UserRole; className?: string }) {
  const pathname = usePathname();
  const items = getNavItems(role);
  const currentHref = findCurrentHref(items, pathname);

  return (
    <nav aria-label="Main" className={className}>
      <ul className="flex flex-wrap items-center gap-1">
        {items.map(({ href, label, icon: Icon }) => (
          <li key={href}>
            <Link
              href={href}
              aria-current={href === currentHref ? "page" : undefined}
              className={cn(
                "flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium text-muted-foreground transition-colors",
                "hover:bg-accent hover:text-foreground",
                "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring",
                "aria-[current=page]:bg-primary/10 aria-[current=page]:font-semibold aria-[current=page]:text-primary",
              )}
            >
              <Icon aria-hidden="true" className="size-4 shrink-0" />
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
