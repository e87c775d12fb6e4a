// The vendor role's trust policy: who may assume the role, when, and with which session tags.
// The trust policy contains the vendor's ExternalId, which is a secret.
import "server-only";

import { AppError } from "@/lib/errors";

import {
  REQUEST_TAG_GRANT_KEY,
  assertValidGrantId,
  assertValidWindow,
  mergeConditions,
  windowCondition,
} from "./conditions";
import {
  SESSION_TAG_GRANT,
  type PolicyDocument,
  type PolicyStatement,
  type RoleGrant,
  type TrustPolicyInput,
  type TrustPolicyOptions,
} from "./types";

/** A time range in which the vendor's account may assume the role, tagged with one of `grantIds`. */
export type TrustWindow = { startsAt: Date; endsAt: Date; grantIds: string[] };

const ACCOUNT_ID = /^\d{12}$/;

// The ExternalId pattern of the STS AssumeRole API.
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

const ASSUME_ROLE = "sts:AssumeRole";
const TAG_SESSION = "sts:TagSession";
const SET_SOURCE_IDENTITY = "sts:SetSourceIdentity";

/**
 * Collects the windows of grants that have not ended at `now`, sorted by start. With `mergeWindows`,
 * windows that overlap or touch become one window listing every grant id in it.
 */
export function collectTrustWindows(grants: readonly RoleGrant[], options: TrustPolicyOptions): TrustWindow[] {
  const mergeWindows = options.mergeWindows ?? true;

  const live = grants
    .filter((grant) => grant.endsAt > options.now)
    .map((grant) => {
      assertValidGrantId(grant.grantId);
      assertValidWindow(grant.grantId, grant.startsAt, grant.endsAt);

      return { startsAt: grant.startsAt, endsAt: grant.endsAt, grantIds: [grant.grantId] };
    })
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.endsAt.getTime() - b.endsAt.getTime());

  if (!mergeWindows) return live;

  const merged: TrustWindow[] = [];
  for (const window of live) {
    const last = merged.at(-1);

    // Half-open windows that touch ([a, b) and [b, c)) leave no gap, so they merge as well.
    if (last && window.startsAt <= last.endsAt) {
      if (window.endsAt > last.endsAt) last.endsAt = window.endsAt;
      last.grantIds.push(...window.grantIds);
    } else {
      merged.push({ ...window, grantIds: [...window.grantIds] });
    }
  }

  return merged;
}

function assertValidTrustInput(input: TrustPolicyInput): void {
  if (!input.portalPrincipalArn.startsWith("arn:")) {
    throw new AppError("MISCONFIGURED", `Portal principal "${input.portalPrincipalArn}" is not an ARN. Set it to the ARN of the portal's IAM role.`);
  }

  if (input.vendorAccountId !== null && !ACCOUNT_ID.test(input.vendorAccountId)) {
    throw new AppError("MISCONFIGURED", `Vendor AWS account id "${input.vendorAccountId}" is invalid: it must be 12 digits.`);
  }

  if (input.vendorAccountId !== null && !EXTERNAL_ID.test(input.externalId)) {
    throw new AppError(
      "MISCONFIGURED",
      "The vendor's ExternalId is invalid: it must be 2 to 1,224 letters, digits or +=,.@:/-_ characters. Rotate it to a new value.",
    );
  }
}

/**
 * Renders the role's trust policy. The portal's own principal may always assume the role, because
 * the portal issues every session with the grant's session tag and the permission policy then
 * limits the session to that grant. The vendor's account may assume the role itself only inside
 * a live grant window, with the ExternalId, and only with a `vap-grant` session tag naming a grant
 * of that window. Grants that have ended at `now` are left out.
 *
 * With merged windows, a session tagged with grant A may be issued while only grant B, which
 * overlaps or touches A, is live. That session can do nothing, because A's permission
 * statements carry A's own window.
 */
export function renderTrustPolicy(input: TrustPolicyInput, options: TrustPolicyOptions): PolicyDocument {
  assertValidTrustInput(input);

  const statements: PolicyStatement[] = [
    {
      Sid: "PortalIssuesSessions",
      Effect: "Allow",
      Principal: { AWS: input.portalPrincipalArn },
      Action: [ASSUME_ROLE, TAG_SESSION, SET_SOURCE_IDENTITY],
    },
  ];

  if (input.vendorAccountId === null) {
    return { Version: "2012-10-17", Statement: statements };
  }

  const windows = collectTrustWindows(input.grants, options);
  if (windows.length === 0) {
    return { Version: "2012-10-17", Statement: statements };
  }

  const vendorPrincipal = { AWS: `arn:${input.partition ?? "aws"}:iam::${input.vendorAccountId}:root` };

  // The ExternalId and the tag values are required on sts:AssumeRole, the action that every
  // self-assume performs. The service authorization reference lists sts:ExternalId as a condition
  // key of AssumeRole only, not of TagSession or SetSourceIdentity, so a statement requiring it for
  // those two may never match them. AWS's own session-tag example in the IAM User Guide also puts
  // the ExternalId on the AssumeRole statement alone.
  windows.forEach((window, index) => {
    statements.push({
      Sid: `VendorWindow${index + 1}`,
      Effect: "Allow",
      Principal: vendorPrincipal,
      Action: ASSUME_ROLE,
      Condition: mergeConditions(
        {
          StringEquals: {
            "sts:ExternalId": input.externalId,
            [REQUEST_TAG_GRANT_KEY]: window.grantIds.length === 1 ? window.grantIds[0]! : window.grantIds,
          },
        },
        windowCondition(window.startsAt, window.endsAt),
      ),
    });
  });

  // One statement lets the vendor pass the grant tag and a source identity. It needs no window:
  // both are permission-only actions, evaluated only inside an AssumeRole call that a window
  // statement above must allow. Leaving the window out saves about 110 characters. The vendor may
  // not pass the user tag, which names a portal user: only the portal's own sessions carry it, so
  // a self-assumed session cannot claim to be a portal user in CloudTrail.
  statements.push({
    Sid: "VendorSessionTags",
    Effect: "Allow",
    Principal: vendorPrincipal,
    Action: [TAG_SESSION, SET_SOURCE_IDENTITY],
    Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [SESSION_TAG_GRANT] } },
  });

  return { Version: "2012-10-17", Statement: statements };
}
