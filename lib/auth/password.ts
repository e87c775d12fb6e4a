import "server-only";

import { hash, verify } from "@node-rs/argon2";

// Argon2id with OWASP's recommended minimum (19 MiB memory, 2 iterations, 1 lane).
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

// A real hash of a random string: verifying against it for unknown emails costs the same time
// as a wrong password, so response timing does not reveal which emails exist.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    dummyHash ??= hash(crypto.randomUUID(), ARGON2_OPTIONS);
    await verify(await dummyHash, password);

    return false;
  }

  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash cannot match any password.
    return false;
  }
}
