import { describe, expect, test } from "vitest";

import type { HeldLoginRole } from "@/lib/backends/postgres-login/repair";

import { describeHeldLogin, diffLogin, planLoginRepair, type DesiredLogin } from "./login-drift";

const END = new Date("2030-01-31T17:00:00.250Z");
const GROUP = "warehouse_readonly";

const LIVE: DesiredLogin = { present: true, validUntil: END, groupRole: GROUP, connectionLimit: 5 };
const ENDED: DesiredLogin = { present: false, groupRole: GROUP };

const HEALTHY: HeldLoginRole = {
  roleName: "vap_g_abc123",
  canLogin: true,
  validUntil: new Date(END.getTime()),
  connectionLimit: 5,
  elevatedAttributes: [],
  memberOf: [GROUP],
  openSessions: 2,
};

describe("diffLogin for a live grant", () => {
  test.each<[string, Partial<HeldLoginRole> | null, string[]]>([
    ["matching role", {}, []],
    ["missing role", null, ["role-missing"]],
    ["NOLOGIN", { canLogin: false }, ["login-disabled"]],
    ["VALID UNTIL a millisecond off", { validUntil: new Date(END.getTime() + 1) }, ["valid-until"]],
    ["VALID UNTIL infinity", { validUntil: null }, ["valid-until"]],
    ["outside the group role", { memberOf: [] }, ["group-membership-missing"]],
    ["no connection limit", { connectionLimit: null }, ["connection-limit"]],
    ["CREATEDB added", { elevatedAttributes: ["CREATEDB"] }, ["elevated-attributes"]],
    ["another role joined", { memberOf: ["pg_read_all_data", GROUP] }, ["extra-memberships"]],
    ["another role in place of the group", { memberOf: ["pg_read_all_data"] }, ["group-membership-missing", "extra-memberships"]],
  ])("%s", (_label, change, expected) => {
    const held = change === null ? null : { ...HEALTHY, ...change };

    expect(diffLogin(LIVE, held)).toEqual(expected);
  });
});

describe("diffLogin for an ended grant", () => {
  test.each<[string, Partial<HeldLoginRole> | null, string[]]>([
    ["role gone", null, []],
    ["role left NOLOGIN without sessions or group", { canLogin: false, openSessions: 0, memberOf: [] }, []],
    ["role still usable", {}, ["login-enabled", "open-sessions", "group-membership-left"]],
    ["NOLOGIN but a session open", { canLogin: false, memberOf: [], openSessions: 1 }, ["open-sessions"]],
    ["NOLOGIN but still in the group", { canLogin: false, openSessions: 0 }, ["group-membership-left"]],
  ])("%s", (_label, change, expected) => {
    const held = change === null ? null : { ...HEALTHY, ...change };

    expect(diffLogin(ENDED, held)).toEqual(expected);
  });
});

describe("planLoginRepair", () => {
  test.each<[string, DesiredLogin, Parameters<typeof planLoginRepair>[1], ReturnType<typeof planLoginRepair>]>([
    ["nothing differs", LIVE, [], null],
    ["missing role", LIVE, ["role-missing"], "recreate"],
    ["changed role", LIVE, ["valid-until", "group-membership-missing"], "restore"],
    ["ended grant", ENDED, ["open-sessions"], "revoke"],
  ])("%s", (_label, desired, differences, expected) => {
    expect(planLoginRepair(desired, differences)).toBe(expected);
  });
});

describe("describeHeldLogin", () => {
  test("missing role", () => {
    expect(describeHeldLogin(null, GROUP)).toEqual({ exists: false });
  });

  test("role with extra membership", () => {
    expect(describeHeldLogin({ ...HEALTHY, memberOf: ["other", GROUP] }, GROUP)).toEqual({
      exists: true,
      canLogin: true,
      validUntil: "2030-01-31T17:00:00.250Z",
      memberOfGroupRole: true,
      connectionLimit: 5,
      elevatedAttributes: [],
      extraMemberships: ["other"],
      openSessions: 2,
    });
  });
});
