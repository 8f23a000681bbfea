/** One error type for everything a caller can cause; the HTTP layer renders it as `{ error }`. */
export type FieldProblem = { path: string; message: string };

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldProblem[] | undefined;
  /** Sent as Retry-After with a 429. */
  retryAfterSeconds: number | undefined;
  /** Structured facts the caller needs to act (the likely duplicates of a refused create ...). */
  details: unknown;

  constructor(status: number, code: string, message: string, fields?: FieldProblem[]) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  toBody(): { error: { code: string; message: string; fields?: FieldProblem[]; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.fields ? { fields: this.fields } : {}),
        ...(this.details !== undefined ? { details: this.details } : {}),
      },
    };
  }
}

export const badRequest = (message: string, fields?: FieldProblem[]) =>
  new AppError(400, 'bad_request', message, fields);

export const validationFailed = (fields: FieldProblem[]) =>
  new AppError(
    400,
    'validation_failed',
    `Invalid request: ${fields.map((f) => `${f.path || '(body)'} ${f.message}`).join('; ')}`,
    fields,
  );

export const malformedJson = () => new AppError(400, 'malformed_json', 'The request body is not valid JSON.');

export const payloadTooLarge = (limit: number) =>
  new AppError(413, 'payload_too_large', `The request body is larger than the limit of ${limit} bytes.`);

export const unauthenticated = (message = 'Sign in to continue.') => new AppError(401, 'unauthenticated', message);

export const invalidCredentials = () =>
  new AppError(401, 'invalid_credentials', 'The email or password is not correct.');

export const forbidden = (message = 'Your role does not allow this action.') => new AppError(403, 'forbidden', message);

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} was not found.`);

export const conflict = (message: string) => new AppError(409, 'conflict', message);

export const rateLimited = (retryAfterSeconds: number) => {
  const error = new AppError(
    429,
    'rate_limited',
    `Too many attempts. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
  );
  error.retryAfterSeconds = Math.ceil(retryAfterSeconds);
  return error;
};

export const internalError = () => new AppError(500, 'internal_error', 'Something went wrong on our side.');
