import { createHash, randomBytes, randomInt } from 'node:crypto';
import argon2 from 'argon2';

/** argon2id with the library's defaults (m=64 MiB, t=3, p=4), as OWASP recommends. */
export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

// Letters and digits a person can read back without confusing 0/O or 1/l.
const READABLE = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A generated password for a new user: 20 readable characters, about 115 bits. */
export function generatePassword(): string {
  let out = '';
  for (let i = 0; i < 20; i++) out += READABLE[randomInt(READABLE.length)];
  return out.replace(/(.{5})(?!$)/g, '$1-');
}

/** A bearer secret: the caller keeps `token`, the database keeps only `hash`. */
export function newSecret(prefix: string): { token: string; hash: string } {
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashSecret(token) };
}

export function hashSecret(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
