// Reads the state of the fake AWS endpoint that scripts/e2e-server.ts starts (scripts/lib/fake-aws-server.ts).
import { E2E_PORTS } from "../playwright.config";
import { FAKE_AWS } from "../scripts/lib/demo-config";
import type { FakeAwsCall, FakeAwsState } from "../scripts/lib/fake-aws-server";

export { FAKE_AWS };

export const FAKE_AWS_ENDPOINT = `http://127.0.0.1:${E2E_PORTS.aws}`;

/** Name of the inline policy that the portal writes on each vendor role (PERMISSION_POLICY_NAME). */
export const PERMISSION_POLICY_NAME = "vendor-access-grants";

const GRANT_TAG_KEY = "aws:PrincipalTag/vap-grant";

export type FakeRoleState = FakeAwsState["roles"][number];

export async function readFakeAwsState(): Promise<FakeAwsState> {
  const response = await fetch(`${FAKE_AWS_ENDPOINT}${FAKE_AWS.statePath}`);
  if (!response.ok) throw new Error(`Reading the fake AWS state failed with HTTP ${response.status}.`);

  return (await response.json()) as FakeAwsState;
}

export async function readFakeRole(roleName: string): Promise<FakeRoleState> {
  const role = (await readFakeAwsState()).roles.find((candidate) => candidate.roleName === roleName);
  if (!role) throw new Error(`Role ${roleName} was not found in the fake AWS state.`);

  return role;
}

export function roleArnOf(vendorSlug: string): string {
  return `arn:aws:iam::${FAKE_AWS.accountId}:role${FAKE_AWS.rolePath}${FAKE_AWS.roleNameTemplate.replace("{vendor}", vendorSlug)}`;
}

type Statement = { Effect: string; Action: string | string[]; Condition?: { StringEquals?: Record<string, string | string[]> } };

/** Returns the grant ids that the role's permission policy names in statements with this effect. */
export function grantIdsIn(role: FakeRoleState, effect: "Allow" | "Deny"): string[] {
  const document = role.inlinePolicies[PERMISSION_POLICY_NAME];
  if (document === undefined) return [];
  const statements = (JSON.parse(document) as { Statement: Statement[] }).Statement;

  return statements.filter((statement) => statement.Effect === effect).flatMap((statement) => [statement.Condition?.StringEquals?.[GRANT_TAG_KEY] ?? []].flat());
}

/** Returns the actions that the role's permission policy allows to sessions of the grant. */
export function allowedActions(role: FakeRoleState, grantId: string): string[] {
  const document = role.inlinePolicies[PERMISSION_POLICY_NAME];
  if (document === undefined) return [];
  const statements = (JSON.parse(document) as { Statement: Statement[] }).Statement;

  return statements
    .filter((statement) => statement.Effect === "Allow" && [statement.Condition?.StringEquals?.[GRANT_TAG_KEY]].flat().includes(grantId))
    .flatMap((statement) => [statement.Action].flat());
}

/** Returns the session tags of an AssumeRole call, from its query-protocol parameters (Tags.member.N.Key and .Value). */
export function sessionTags(call: FakeAwsCall): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let index = 1; call.input[`Tags.member.${index}.Key`] !== undefined; index += 1) {
    tags[call.input[`Tags.member.${index}.Key`]!] = call.input[`Tags.member.${index}.Value`] ?? "";
  }

  return tags;
}

export function assumeRoleCalls(state: FakeAwsState): FakeAwsCall[] {
  return state.calls.filter((call) => call.service === "sts" && call.action === "AssumeRole");
}
