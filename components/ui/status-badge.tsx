import type { GrantStatus, RequestStatus } from "@/lib/generated/prisma/enums";

import { Badge, type BadgeProps } from "./badge";

type BadgeVariant = NonNullable<BadgeProps["variant"]>;

type StatusStyle = { label: string; variant: BadgeVariant };

export const REQUEST_STATUS_STYLES: Record<RequestStatus, StatusStyle> = {
  PENDING: { label: "Pending review", variant: "warning" },
  APPROVED: { label: "Approved", variant: "success" },
  DENIED: { label: "Denied", variant: "error" },
  CANCELLED: { label: "Cancelled", variant: "neutral" },
  EXPIRED: { label: "Expired", variant: "neutral" },
};

export const GRANT_STATUS_STYLES: Record<GrantStatus, StatusStyle> = {
  SCHEDULED: { label: "Scheduled", variant: "info" },
  ACTIVE: { label: "Active", variant: "success" },
  EXPIRED: { label: "Expired", variant: "neutral" },
  REVOKED: { label: "Revoked", variant: "neutral" },
  FAILED: { label: "Failed", variant: "error" },
};

export type StatusBadgeProps = { className?: string } & (
  | { kind: "request"; status: RequestStatus }
  | { kind: "grant"; status: GrantStatus }
);

/** Renders a badge with the readable status label, so colour is never the only signal. */
export function StatusBadge(props: StatusBadgeProps) {
  const style =
    props.kind === "request" ? REQUEST_STATUS_STYLES[props.status] : GRANT_STATUS_STYLES[props.status];

  return (
    <Badge variant={style.variant} className={props.className}>
      {style.label}
    </Badge>
  );
}
