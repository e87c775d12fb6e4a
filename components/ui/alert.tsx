import { cva } from "class-variance-authority";
import {
  CircleCheck,
  CircleExclamationPoint,
  Info,
  TriangleExclamationPoint,
  type LucideIcon,
} from "lucide-react";
import type * as React from "react";

import { cn } from "@/lib/utils";

type AlertVariant = "info" | "success" | "warning" | "error";

const alertVariants = cva("flex gap-3 rounded-lg border p-4 text-sm", {
  variants: {
    variant: {
      info: "border-info-border bg-info-surface text-info-foreground [&_svg]:text-info-icon",
      success: "border-success-border bg-success-surface text-success-foreground [&_svg]:text-success-icon",
      warning: "border-warning-border bg-warning-surface text-warning-foreground [&_svg]:text-warning-icon",
      error: "border-error-border bg-error-surface text-error-foreground [&_svg]:text-error-icon",
    },
  },
});

const ALERT_ICONS: Record<AlertVariant, LucideIcon> = {
  info: Info,
  success: CircleCheck,
  warning: TriangleExclamationPoint,
  error: CircleExclamationPoint,
};

export type AlertProps = Omit<React.ComponentProps<"div">, "title"> & {
  variant?: AlertVariant;
  title?: React.ReactNode;
};

/**
 * Renders a message box with an icon and an optional title. It has no ARIA role by default,
 * because most alerts are rendered with the page. Pass `role="alert"` or `role="status"` when
 * the alert appears after the page has loaded and should be announced.
 */
export function Alert({ variant = "info", title, className, children, ...props }: AlertProps) {
  const Icon = ALERT_ICONS[variant];

  return (
    <div className={cn(alertVariants({ variant }), className)} {...props}>
      <Icon aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
      <div className="grid min-w-0 gap-1">
        {title ? <p className="leading-tight font-semibold">{title}</p> : null}
        {children ? <div className="[&_a]:font-medium [&_a]:underline">{children}</div> : null}
      </div>
    </div>
  );
}
