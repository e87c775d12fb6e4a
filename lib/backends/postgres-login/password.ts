import { createHash, createHmac, pbkdf2Sync, randomBytes, randomInt } from "node:crypto";

const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Length of generated login passwords: 32 characters of 62 gives about 190 bits of entropy. */
export const LOGIN_PASSWORD_LENGTH = 32;

// PostgreSQL's default scram_iterations (PostgreSQL 16+) and the fixed count before that.
const SCRAM_ITERATIONS = 4096;
const SCRAM_SALT_BYTES = 16;

/**
 * Generates a login password from the operating system's CSPRNG. Letters and digits only, so
 * the password needs no quoting in a shell, a libpq connection string or a .pgpass file.
 */
export function generateLoginPassword(length = LOGIN_PASSWORD_LENGTH): string {
  let password = "";
  for (let index = 0; index < length; index++) {
    password += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  }

  return password;
}

/**
 * Computes the SCRAM-SHA-256 verifier that PostgreSQL stores in pg_authid.rolpassword (RFC 5802
 * and RFC 7677, format `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`).
 *
 * Sending the verifier in `CREATE ROLE … PASSWORD` in place of the plain password keeps the
 * password out of the server's statement log (log_statement = ddl), pg_stat_statements and
 * error reports. PostgreSQL recognises the format and stores it as it is.
 *
 * NOTE: SASLprep normalisation is skipped, which is only correct for ASCII passwords such as
 * the ones generateLoginPassword() makes.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(SCRAM_SALT_BYTES)): string {
  if (!/^[\x20-\x7e]*$/.test(password)) {
    throw new Error("scramSha256Verifier supports printable ASCII passwords only");
  }
  const saltedPassword = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", saltedPassword).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", saltedPassword).update("Server Key").digest();

  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
