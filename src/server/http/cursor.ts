import { badRequest } from '../errors.ts';

/**
 * Keyset-paging cursors: the last row's sort key, as opaque base64url JSON. A cursor this API did
 * not issue (bad encoding, wrong shape) is a 400 naming `querystring.cursor`, never a SQL error.
 */
export const encodeCursor = (key: object): string => Buffer.from(JSON.stringify(key)).toString('base64url');

export function decodeCursor<T extends object>(raw: string, valid: (c: T) => boolean): T {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as T;
    if (c && typeof c === 'object' && valid(c)) return c;
  } catch {
    // fall through to the refusal
  }
  throw badRequest('The cursor is not one this API issued.', [{ path: 'querystring.cursor', message: 'is not valid' }]);
}
