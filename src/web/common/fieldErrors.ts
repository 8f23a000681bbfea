import { ApiError } from '../api/client.ts';
import type { FieldProblem } from '../api/types.ts';

/** Field problems from a 400, by the path the API names ("givenName", "phones.0.value", "address.country"). */
export type FieldErrors = ReadonlyMap<string, string>;

export const NO_FIELD_ERRORS: FieldErrors = new Map();

/** "must be a date" -> "Must be a date": the API's messages read as the end of a sentence about the field. */
export function sentence(message: string): string {
  return message ? message[0]!.toUpperCase() + message.slice(1) : message;
}

/** The field problems an error carries (several on one path are joined). */
export function fieldErrorsOf(error: unknown): FieldErrors {
  if (!(error instanceof ApiError) || error.fields.length === 0) return NO_FIELD_ERRORS;
  const map = new Map<string, string>();
  for (const { path, message } of error.fields) {
    const key = path.replace(/^body\./, '');
    map.set(key, map.has(key) ? `${map.get(key)}; ${message}` : message);
  }
  return map;
}

/** The message for one input: its own path, or anything beneath it ("tags" shows "tags.2"). */
export function errorAt(errors: FieldErrors, path: string): string | undefined {
  const own = errors.get(path);
  if (own) return sentence(own);
  for (const [key, message] of errors) {
    if (key.startsWith(`${path}.`)) return sentence(message);
  }
  return undefined;
}

/** Problems no input of the form shows (so they are listed with the form's error instead of lost). */
export function unclaimedErrors(errors: FieldErrors, claimed: readonly string[]): FieldProblem[] {
  return [...errors]
    .filter(([key]) => !claimed.some((prefix) => key === prefix || key.startsWith(`${prefix}.`)))
    .map(([path, message]) => ({ path, message }));
}
