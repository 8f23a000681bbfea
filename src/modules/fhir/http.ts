import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Resource } from '@medplum/fhirtypes';
import { AppError } from '../../server/errors.ts';
import { FhirError, fhirError, fromAppError, outcome } from './outcome.ts';

/** The HTTP edges of the FHIR API: media types, errors as OperationOutcome, headers. */

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Accepts application/fhir+json (and the older application/json+fhir) beside application/json. */
export function installFhirBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser(['application/fhir+json', 'application/json+fhir'], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(fhirError(400, 'structure', 'The request body is not valid JSON.'));
    }
  });
}

function toFhirError(error: FastifyError | Error, bodyLimit: number): FhirError {
  if (error instanceof FhirError) return error;
  if (error instanceof AppError) return fromAppError(error);
  const code = (error as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return fhirError(400, 'structure', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return fhirError(413, 'too-long', `The request body is larger than the limit of ${bodyLimit} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return fhirError(415, 'not-supported', 'Send the resource as application/fhir+json or application/json.');
  }
  if (error instanceof SyntaxError) return fhirError(400, 'structure', 'The request body is not valid JSON.');
  const status = (error as FastifyError).statusCode ?? 500;
  if (status >= 400 && status < 500) return fhirError(status, 'invalid', error.message);
  return fhirError(500, 'exception', 'Something went wrong on our side.');
}

/** Every error inside the plugin answers as an OperationOutcome; nothing internal reaches the client. */
export function installFhirErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const converted = toFhirError(error, bodyLimit);
    if (converted.status >= 500) request.log.error({ err: error }, 'FHIR request failed');
    else request.log.info({ status: converted.status }, 'FHIR request refused');
    if (converted.status === 401) void reply.header('www-authenticate', 'Bearer realm="rapport"');
    return reply.status(converted.status).type(FHIR_JSON).send(JSON.stringify(converted.outcome));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .type(FHIR_JSON)
      .send(JSON.stringify(outcome('not-found', `No FHIR interaction ${request.method} ${request.url.split('?')[0]}; see /fhir/R4/metadata.`))),
  );
}

/** Sends a resource with its version headers (ETag W/"n", Last-Modified) when it has them. */
export function sendResource(reply: FastifyReply, resource: Resource, status = 200): FastifyReply {
  if (resource.meta?.versionId) void reply.header('etag', `W/"${resource.meta.versionId}"`);
  if (resource.meta?.lastUpdated) void reply.header('last-modified', new Date(resource.meta.lastUpdated).toUTCString());
  return reply.status(status).type(FHIR_JSON).send(JSON.stringify(resource));
}

/** The version an If-Match header names (W/"3" or "3"), undefined without one; a malformed one is a 400. */
export function ifMatchVersion(request: FastifyRequest): number | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined) return undefined;
  const m = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(String(raw));
  if (!m) throw fhirError(400, 'invalid', 'If-Match must be a version ETag such as W/"3".');
  return Number(m[1]);
}

/** Prefer: handling=strict (unknown search parameters are refused) and return=minimal|representation|OperationOutcome. */
export function preferences(request: FastifyRequest): { strict: boolean; returnPref: 'minimal' | 'representation' | 'OperationOutcome' } {
  const prefer = String(request.headers.prefer ?? '');
  const ret = /return=(minimal|representation|OperationOutcome)/.exec(prefer)?.[1] as 'minimal' | 'representation' | 'OperationOutcome' | undefined;
  return { strict: /handling=strict/.test(prefer), returnPref: ret ?? 'representation' };
}

/** This server's FHIR base: RAPPORT_PUBLIC_URL when set, else the address the request came to. */
export function baseUrlOf(request: FastifyRequest, publicUrl: string | undefined): string {
  return `${publicUrl ?? `${request.protocol}://${request.host}`}/fhir/R4`;
}
