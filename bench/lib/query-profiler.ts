// Records when each node-postgres connect and query starts and ends, so the benchmark can split an
// approval into phases without changing product code. Prisma's adapter (@prisma/adapter-pg), pg-boss
// and the management client all go through pg.Client, so its prototype is where every round trip passes.
import pg from "pg";

export type ClientRole = "portal" | "target" | "bench" | "other";

export type QueryEvent = {
  role: ClientRole;
  kind: "connect" | "query";
  /** The first words of the SQL text, such as "COMMIT" or "CREATE ROLE". */
  statement: string;
  /** The SQL text without bind values, cut at STATEMENT_TEXT_MAX characters and before any PASSWORD clause. */
  text: string;
  /** performance.now() when the call was made and when its promise settled, in ms. */
  startedAt: number;
  endedAt: number;
};

type ClientFields = { user?: string; database?: string; connectionParameters?: { application_name?: string } };

export type ProfilerOptions = {
  portalDatabase: string;
  targetUser: string;
  /** Connections whose application_name starts with this are the benchmark's own and kept apart. */
  benchApplicationPrefix: string;
};

/**
 * Patches pg.Client once for the life of the process. Both promise-style calls (Prisma inside a
 * transaction, the management client) and callback-style calls (pg-pool's query and connect, which
 * Prisma outside transactions and pg-boss use) are timed. The added cost is two performance.now()
 * calls and one array push per round trip.
 */
export function installQueryProfiler(options: ProfilerOptions) {
  const events: QueryEvent[] = [];
  const prototype = pg.Client.prototype as unknown as {
    query: (...args: unknown[]) => unknown;
    connect: (...args: unknown[]) => unknown;
  };
  const originalQuery = prototype.query;
  const originalConnect = prototype.connect;

  const roleOf = (client: ClientFields): ClientRole => {
    if (client.connectionParameters?.application_name?.startsWith(options.benchApplicationPrefix)) return "bench";
    if (client.user === options.targetUser) return "target";
    if (client.database === options.portalDatabase) return "portal";

    return "other";
  };

  const timed = (client: ClientFields, kind: QueryEvent["kind"], original: (...args: unknown[]) => unknown, args: unknown[]) => {
    const startedAt = performance.now();
    const text = kind === "connect" ? "connect" : textOf(args[0]);
    const record = () => {
      events.push({ role: roleOf(client), kind, statement: statementOf(text), text, startedAt, endedAt: performance.now() });
    };
    const callback = args[args.length - 1];
    if (typeof callback === "function") {
      const recordingArgs = [...args.slice(0, -1), (...callbackArgs: unknown[]) => {
        record();

        return (callback as (...values: unknown[]) => unknown)(...callbackArgs);
      }];

      return original.apply(client, recordingArgs);
    }
    const result = original.apply(client, args);
    if (result instanceof Promise) result.then(record, record);

    return result;
  };

  prototype.query = function (this: ClientFields, ...args: unknown[]) {
    return timed(this, "query", originalQuery, args);
  };
  prototype.connect = function (this: ClientFields, ...args: unknown[]) {
    return timed(this, "connect", originalConnect, args);
  };

  return {
    /** Events whose call started at or after `since` (a performance.now() value). */
    eventsSince(since: number): QueryEvent[] {
      return events.filter((event) => event.startedAt >= since);
    },
    clear(): void {
      events.length = 0;
    },
  };
}

export type QueryProfiler = ReturnType<typeof installQueryProfiler>;

const STATEMENT_TEXT_MAX = 160;

function textOf(query: unknown): string {
  const text = typeof query === "string" ? query : (query as { text?: unknown } | null)?.text;
  if (typeof text !== "string") return "?";
  // CREATE and ALTER ROLE carry the SCRAM verifier as a literal, which stays out of any report.
  const [beforePassword] = text.trim().replace(/\s+/g, " ").split(/ PASSWORD /i);

  return beforePassword!.slice(0, STATEMENT_TEXT_MAX);
}

function statementOf(text: string): string {
  const words = text.split(" ");
  const first = words[0]?.toUpperCase() ?? "?";

  return ["CREATE", "ALTER", "DROP", "GRANT", "REVOKE"].includes(first) ? `${first} ${words[1]?.toUpperCase() ?? ""}`.trim() : first;
}
