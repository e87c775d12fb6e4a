// Pure renderers for every IAM policy the portal writes to a vendor role, and their size checks.
export {
  PRINCIPAL_TAG_GRANT_KEY,
  REQUEST_TAG_GRANT_KEY,
  formatIamTime,
  windowCondition,
} from "./conditions";
export { assertGrantablePrefix, renderPermissionPolicy, renderSessionPolicy } from "./permission-policy";
export { REVOCATION_PROPAGATION_MARGIN_SECONDS, renderRoleState, selectRevokedGrantsToDeny } from "./role-state";
export { checkRolePolicySizes, checkSessionPolicySize, measurePolicy } from "./size";
export { collectTrustWindows, renderTrustPolicy, type TrustWindow } from "./trust-policy";
export * from "./types";
