import "server-only";

import { createHash } from "node:crypto";

import canonicalize from "canonicalize";

import { db, type Tx } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import { enqueueNotifications } from "@/lib/notifications";

export type AuditActor = { id: string | null; label: string };

export const SYSTEM_WORKER: AuditActor = { id: null, label: "system:worker" };

export function userActor(user: { id: string; email: string }): AuditActor {
  return { id: user.id, label: `user:${user.email}` };
}

export type AuditInput = {
  actor: AuditActor;
  action: string;
  subjectType: "request" | "grant" | "vendor" | "user" | "resource" | "issuance";
  subjectId: string;
  vendorId?: string | null;
  requestId?: string | null;
  grantId?: string | null;
  /** Non-secret details only: never passwords, tokens, keys or presigned URLs. */
  data?: Record<string, unknown>;
};

const GENESIS_HASH = "0".repeat(64);

// Key for pg_advisory_xact_lock that serialises appends, so each event chains to the one before.
const AUDIT_CHAIN_LOCK = 0x7661705f61756469n; // "vap_audi"

type HashedFields = {
  at: string;
  actorId: string | null;
  actorLabel: string;
  action: string;
  subjectType: string;
  subjectId: string;
  vendorId: string | null;
  requestId: string | null;
  grantId: string | null;
  data: unknown;
};

export function hashAuditEvent(prevHash: string, fields: HashedFields): string {
  const body = canonicalize(fields);
  if (body === undefined) throw new Error("audit event cannot be serialised");

  return createHash("sha256").update(prevHash).update("\n").update(body).digest("hex");
}

/** Appends an event in the caller's transaction; it commits or rolls back with the change it records. */
export async function recordAudit(tx: Tx, input: AuditInput): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`;

  const last = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { hash: true } });
  const prevHash = last?.hash ?? GENESIS_HASH;

  const fields: HashedFields = {
    at: new Date().toISOString(),
    actorId: input.actor.id,
    actorLabel: input.actor.label,
    action: input.action,
    subjectType: input.subjectType,
    subjectId: input.subjectId,
    vendorId: input.vendorId ?? null,
    requestId: input.requestId ?? null,
    grantId: input.grantId ?? null,
    data: input.data ?? {},
  };

  await tx.auditEvent.create({
    data: {
      ...fields,
      at: new Date(fields.at),
      data: fields.data as Prisma.InputJsonValue,
      prevHash,
      hash: hashAuditEvent(prevHash, fields),
    },
  });
  await enqueueNotifications(tx, input);
}

export type AuditVerification = { ok: true; events: number } | { ok: false; events: number; brokenAtSeq: bigint; reason: string };

/** Recomputes the chain from the first event; reports the first event whose hash or link is wrong. */
export async function verifyAuditChain(batchSize = 1000): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let cursor: bigint | undefined;
  let count = 0;

  for (;;) {
    const batch = await db.auditEvent.findMany({
      where: cursor === undefined ? {} : { seq: { gt: cursor } },
      orderBy: { seq: "asc" },
      take: batchSize,
    });
    if (batch.length === 0) return { ok: true, events: count };

    for (const event of batch) {
      if (event.prevHash !== prevHash) {
        return { ok: false, events: count, brokenAtSeq: event.seq, reason: "prevHash does not match the previous event" };
      }
      const expected = hashAuditEvent(prevHash, {
        at: event.at.toISOString(),
        actorId: event.actorId,
        actorLabel: event.actorLabel,
        action: event.action,
        subjectType: event.subjectType,
        subjectId: event.subjectId,
        vendorId: event.vendorId,
        requestId: event.requestId,
        grantId: event.grantId,
        data: event.data,
      });
      if (expected !== event.hash) {
        return { ok: false, events: count, brokenAtSeq: event.seq, reason: "hash does not match the event's contents" };
      }
      prevHash = event.hash;
      count += 1;
      cursor = event.seq;
    }
  }
}
