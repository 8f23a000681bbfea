import type { FastifyError, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import type { StaffRole } from '../../server/db/types.ts';
import { withTenant } from '../../server/db/scope.ts';
import { AppError, payloadTooLarge } from '../../server/errors.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { MAX_CSV_BYTES } from './parse.ts';
import { createImportRun, getImportRun, listImportRuns, previewImport } from './runs.ts';
import { DATE_FORMATS } from './values.ts';

const IMPORT_ROLES: readonly StaffRole[] = ['admin', 'front_desk'];
const access = { access: { roles: IMPORT_ROLES } };
/** The file travels inside JSON on start, where escaping can grow it; parseCsv checks the file's own size. */
const JSON_BODY_LIMIT = 2 * MAX_CSV_BYTES + 64 * 1024;

const problem = z.object({ line: z.number().int(), field: z.string(), value: z.string(), message: z.string() });
const counts = z.object({ created: z.number(), updated: z.number(), unchanged: z.number(), failed: z.number(), sentToReview: z.number() });
const importRun = z.object({
  id: z.uuid(),
  filename: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'failed']),
  dryRun: z.boolean(),
  mapping: z.record(z.string(), z.string()),
  options: z.object({ dateFormat: z.enum(DATE_FORMATS) }),
  totalRows: z.number().int(),
  processedRows: z.number().int(),
  counts,
  problems: z.array(problem),
  problemsNotShown: z.number().int(),
  warnings: z.array(z.string()),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
const preview = z.object({
  headers: z.array(z.string()),
  mapping: z.record(z.string(), z.string()),
  rows: z.array(z.object({ line: z.number().int(), values: z.record(z.string(), z.string()) })),
  rowCount: z.number().int(),
  delimiter: z.string(),
  warnings: z.array(z.string()),
  targets: z.array(z.object({ value: z.string(), label: z.string() })),
});
const startBody = z.strictObject({
  filename: z.string().trim().min(1).max(255),
  csv: z.string().min(1),
  mapping: z.record(z.string().max(200), z.string().max(300)).optional(),
  dateFormat: z.enum(DATE_FORMATS).optional(),
  dryRun: z.boolean().default(false),
});

/**
 * CSV import of patients: preview a file (sent as text/csv), start a run (queued as the
 * 'import.run' job), follow it. Registered as one encapsulated plugin so the CSV body parser and
 * the larger body limits apply to these routes only.
 */
export async function registerImportRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(async (scoped) => {
    scoped.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: MAX_CSV_BYTES }, (_request, body, done) => done(null, body));
    // The app's handler would name the app-wide limit; these routes have their own.
    scoped.setErrorHandler((error: FastifyError, request) => {
      const isPreview = request.routeOptions.url === '/api/imports/preview';
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw payloadTooLarge(isPreview ? MAX_CSV_BYTES : JSON_BODY_LIMIT);
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' && isPreview) throw new AppError(415, 'unsupported_media_type', 'Send the file as text/csv.');
      throw error;
    });
    const r = scoped.withTypeProvider<ZodTypeProvider>();
    const db = deps.database.db;

    r.post(
      '/api/imports/preview',
      {
        config: access,
        bodyLimit: MAX_CSV_BYTES,
        schema: {
          tags: ['import'],
          summary: 'Read a CSV file (body as text/csv): its columns, a guessed mapping, the first rows and warnings',
          consumes: ['text/csv'],
          body: z.string(),
          response: { 200: preview, ...errorResponses(400, 401, 403, 413, 415) },
        },
      },
      async (request) => inTenant(db, request, (scope) => previewImport(scope, request.body)),
    );

    r.post(
      '/api/imports',
      {
        config: access,
        bodyLimit: JSON_BODY_LIMIT,
        schema: {
          tags: ['import'],
          summary: 'Start an import (or a dry run) of a CSV file; answers 202 with the queued run to poll',
          body: startBody,
          response: { 202: importRun, ...errorResponses(400, 401, 403, 413, 503) },
        },
      },
      async (request, reply) => {
        const jobs = deps.jobs;
        if (!jobs) throw new AppError(503, 'unavailable', 'The job queue is not running, so an import cannot start now.');
        const run = await inTenant(db, request, (scope) => createImportRun(scope, request.body, deps.clock()));
        const tenantId = request.principal!.tenantId;
        try {
          await jobs.send('import.run', { tenantId, runId: run.id });
        } catch (error) {
          await withTenant(db, { tenantId, actor: { type: 'system', id: null } }, (scope) =>
            scope.tx.updateTable('import_run').set({ status: 'failed', error: 'The import could not be queued.', csv: null }).where('id', '=', run.id).execute(),
          );
          throw error;
        }
        return reply.status(202).send(run);
      },
    );

    r.get(
      '/api/imports',
      {
        config: access,
        schema: { tags: ['import'], summary: 'The latest imports, newest first (without their problems)', response: { 200: z.object({ items: z.array(importRun) }), ...errorResponses(401, 403) } },
      },
      async (request) => ({ items: await inTenant(db, request, (scope) => listImportRuns(scope)) }),
    );

    r.get(
      '/api/imports/:id',
      {
        config: access,
        schema: {
          tags: ['import'],
          summary: 'One import: its progress, and its counts and the problems of skipped rows',
          params: z.object({ id: z.string().max(100) }),
          response: { 200: importRun, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => inTenant(db, request, (scope) => getImportRun(scope, request.params.id)),
    );
  });
}
