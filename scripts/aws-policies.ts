// `npm run aws:policies -- --account 111122223333 [--partition aws] [--path /vendor-access/]
//   [--boundary vendor-access-boundary] [--bucket exchange-bucket --prefix-root vendor-uploads/]
//   [--rds eu-west-1:prx-0123abcd]`
// Prints the portal identity policy and the vendor-role boundary to attach in that account.
import { parseArgs } from "node:util";

import { renderPortalIdentityPolicy, renderVendorRoleBoundary } from "@/lib/backends/aws/portal-identity/policies";

const { values } = parseArgs({
  options: {
    account: { type: "string" },
    partition: { type: "string", default: "aws" },
    path: { type: "string", default: "/vendor-access/" },
    boundary: { type: "string", default: "vendor-access-boundary" },
    bucket: { type: "string", multiple: true, default: [] },
    "prefix-root": { type: "string", default: "vendor-uploads/" },
    rds: { type: "string", multiple: true, default: [] },
  },
});

if (!values.account || !/^\d{12}$/.test(values.account)) {
  console.error("--account is required: the 12-digit id of the account that holds the vendor roles.");
  process.exit(2);
}
if (!["aws", "aws-cn", "aws-us-gov"].includes(values.partition)) {
  console.error(`--partition "${values.partition}" is not supported; use aws, aws-cn or aws-us-gov.`);
  process.exit(2);
}
if (!/^\/([\w+=,.@-]+\/)+$/.test(values.path)) {
  console.error(`--path "${values.path}" is not an IAM path; use one such as /vendor-access/.`);
  process.exit(2);
}
const rds = values.rds.map((entry) => {
  const [region, resourceId] = entry.split(":");
  if (!region || !resourceId) {
    console.error(`--rds "${entry}" must be REGION:RESOURCE_ID, such as eu-west-1:prx-0123abcd.`);
    process.exit(2);
  }

  return { region, resourceId };
});

const identity = { accountId: values.account, partition: values.partition, rolePath: values.path, boundaryPolicyName: values.boundary };
const boundary = {
  accountId: values.account,
  partition: values.partition,
  exchange: values.bucket.map((bucket) => ({ bucket, prefixRoot: values["prefix-root"] })),
  rds,
};

console.log("# Portal identity policy (attach to the portal's task or instance role)");
console.log(JSON.stringify(renderPortalIdentityPolicy(identity), null, 2));
console.log(`\n# Permissions boundary (create as managed policy ${values.path}${values.boundary}; set on every vendor role)`);
console.log(JSON.stringify(renderVendorRoleBoundary(boundary), null, 2));
