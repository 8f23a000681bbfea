import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, internalError, malformedJson, payloadTooLarge, validationFailed, type FieldProblem } from '../errors.ts';

/** Maps every error to `{ error: { code, message, fields? } }`; nothing internal reaches the client. */
export function installErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, bodyLimit);
    if (appError.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: appError.code, status: appError.status }, 'request rejected');
    }
    if (appError.retryAfterSeconds !== undefined) void reply.header('retry-after', String(appError.retryAfterSeconds));
    return reply.status(appError.status).send(appError.toBody());
  });
}

function toAppError(error: FastifyError, bodyLimit: number): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const fields: FieldProblem[] = error.validation.map((v) => {
      const where = error.validationContext === 'body' ? '' : `${error.validationContext}`;
      const keys = (v.params as { keys?: string[] } | undefined)?.keys;
      const base = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      // An unknown field is named by its own path, so the caller sees which one to drop.
      const key = v.keyword === 'unrecognized_keys' && keys?.length ? keys.join(',') : '';
      const path = [where, base, key].filter(Boolean).join('.');
      const message = key ? 'is not a known field' : (v.message ?? 'is invalid');
      return { path, message };
    });
    return validationFailed(fields);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return malformedJson();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(415, 'unsupported_media_type', 'Send the request body as application/json.');
  }
  if (error instanceof SyntaxError) return malformedJson();
  if (error.validation) {
    return validationFailed(error.validation.map((v) => ({ path: v.instancePath, message: v.message ?? 'is invalid' })));
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new AppError(status, 'bad_request', error.message);
  return internalError();
}
