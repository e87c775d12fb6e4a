import { formatMinutes } from "@/lib/domain/window";

/** Readable labels for enum values shown in the UI. */
export const RESOURCE_KIND_LABELS: Record<string, string> = {
  POSTGRES: "PostgreSQL database",
  S3_PRESIGN: "S3 file exchange",
  S3_PREFIX: "S3 prefix (AWS IAM)",
  RDS_IAM: "RDS database (IAM auth)",
};

export function describeRequestedWindow(request: {
  windowKind: "RELATIVE" | "FIXED";
  durationMinutes: number | null;
}): string {
  if (request.windowKind === "RELATIVE") return `${formatMinutes(request.durationMinutes ?? 0)} from approval`;

  return "Fixed window";
}

/** The step a request's viewer should take next, by status. */
export function nextStepFor(
  request: { status: string; kind?: string; grant: { status: string } | null },
  viewerRole: "VENDOR" | "APPROVER" | "ADMIN",
): string {
  if (request.status === "PENDING") return viewerRole === "VENDOR" ? "Waiting for review" : "Review it";
  if (request.status !== "APPROVED") return "Nothing to do";
  if (request.kind === "EXTENSION") return "Grant extended";
  switch (request.grant?.status) {
    case "SCHEDULED":
      return "Access starts at the window's start";
    case "ACTIVE":
      return viewerRole === "VENDOR" ? "Open the grant to get credentials" : "Access is active";
    case "FAILED":
      return "Provisioning failed; an admin is looking at it";
    case "REVOKED":
      return "Access was revoked";
    default:
      return "Access has ended";
  }
}
