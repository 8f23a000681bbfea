import type { ParseArgsOptionsConfig } from 'node:util';
import type { Config } from '../server/config.ts';
import { openDatabase, type Database } from '../server/db/connection.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { STAFF_ROLES } from '../server/db/types.ts';
import { DEFAULT_SERVICES, SERVICES, startRapport, type Service } from '../server/main.ts';
import { createApiToken, createStaffUser } from '../modules/staff/service.ts';
import { createTenant, findTenantBySlug, listTenants } from '../modules/tenants/service.ts';

export class UsageError extends Error {}

type Values = Record<string, string | boolean | string[] | undefined>;
type Command = {
  summary: string;
  args: string;
  options: ParseArgsOptionsConfig;
  /** The command takes arguments besides its options (a file name). */
  positionals?: boolean;
  run(values: Values, config: Config, positionals: string[]): Promise<number>;
};

function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required.`);
  return v.trim();
}

async function withDatabase<T>(config: Config, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    await migrateToLatest(database.db);
    return await work(database);
  } finally {
    await database.close();
  }
}

/** The tenant named by --tenant, or the only/first one when there is just one clinic. */
async function pickTenant(database: Database, slug: string | undefined): Promise<{ id: string; name: string; slug: string }> {
  if (slug) {
    const tenant = await findTenantBySlug(database.db, slug);
    if (!tenant) throw new UsageError(`No tenant with slug "${slug}".`);
    return tenant;
  }
  const tenants = await listTenants(database.db);
  if (tenants.length === 0) throw new UsageError('There is no tenant yet: run `rapport start` once or `rapport tenant create`.');
  if (tenants.length > 1) throw new UsageError(`Several tenants exist; name one with --tenant (${tenants.map((t) => t.slug).join(', ')}).`);
  return tenants[0]!;
}

export const commands: Record<string, Command> = {
  start: {
    summary: 'Run Rapport: web UI, API and jobs (or some of them)',
    args: '[--services=web,worker,hl7]',
    options: { services: { type: 'string' } },
    async run(values, config) {
      const services = (typeof values.services === 'string' ? values.services : DEFAULT_SERVICES.join(','))
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = services.filter((s) => !SERVICES.includes(s as Service));
      if (unknown.length || services.length === 0) {
        throw new UsageError(`--services takes a comma-separated list of ${SERVICES.join(', ')} (got "${String(values.services)}").`);
      }
      const running = await startRapport(config, services as Service[]);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          running.logger.info({ signal }, 'shutting down');
          void running.stop().then(resolve, (error: unknown) => {
            running.logger.error({ err: error }, 'shutdown failed');
            resolve();
          });
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
      return 0;
    },
  },

  migrate: {
    summary: 'Bring the database schema up to date',
    args: '',
    options: {},
    async run(_values, config) {
      const database = await openDatabase(config);
      try {
        const applied = await migrateToLatest(database.db);
        process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'The schema is up to date.\n');
      } finally {
        await database.close();
      }
      return 0;
    },
  },

  seed: {
    summary: 'Add synthetic patients with visit histories and appointments',
    args: '--patients N [--tenant SLUG] [--seed N]',
    options: { patients: { type: 'string' }, tenant: { type: 'string' }, seed: { type: 'string' } },
    async run(values, config) {
      const count = Number(required(values, 'patients'));
      if (!Number.isInteger(count) || count < 1 || count > 10_000_000) {
        throw new UsageError('--patients must be a whole number between 1 and 10000000.');
      }
      const seed = values.seed === undefined ? undefined : Number(values.seed);
      if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError('--seed must be a whole number.');
      return withDatabase(config, async (database) => {
        const tenant = await pickTenant(database, values.tenant as string | undefined);
        const started = Date.now();
        const { seedPatients } = await import('../modules/demo/seed.ts');
        const result = await seedPatients(database.db, {
          tenantId: tenant.id,
          patients: count,
          now: new Date(),
          seed: seed ?? Date.now() % 1_000_000,
          onProgress: (done, total) => {
            if (done % 10_000 === 0 || done === total) process.stderr.write(`  ${done}/${total} patients\n`);
          },
        });
        // Seeded visits are written directly: give the booked ones their reminders.
        const { ensureDemoCommunications } = await import('../modules/demo/communications.ts');
        await ensureDemoCommunications(database.db, { tenantId: tenant.id, now: new Date() });
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        process.stdout.write(
          `Added ${result.patients} patients and ${result.appointments} appointments to ${tenant.name} in ${seconds}s.\n`,
        );
        return 0;
      });
    },
  },

  'user create': {
    summary: 'Create a staff user; prints a one-time password',
    args: `--email EMAIL --role ${STAFF_ROLES.join('|')} [--name NAME] [--tenant SLUG]`,
    options: { email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, tenant: { type: 'string' } },
    async run(values, config) {
      const email = required(values, 'email');
      const role = required(values, 'role');
      return withDatabase(config, async (database) => {
        const tenant = await pickTenant(database, values.tenant as string | undefined);
        const { user, password } = await createStaffUser(database.db, {
          tenantId: tenant.id,
          email,
          role,
          ...(typeof values.name === 'string' ? { displayName: values.name } : {}),
        });
        process.stdout.write(`Created ${user.role} ${user.email} in ${tenant.name}.\nOne-time password: ${password}\n`);
        return 0;
      });
    },
  },

  'token create': {
    summary: 'Create an API token for a user (send it as Authorization: Bearer)',
    args: '--user EMAIL [--name LABEL]',
    options: { user: { type: 'string' }, name: { type: 'string' } },
    async run(values, config) {
      const email = required(values, 'user');
      return withDatabase(config, async (database) => {
        const { token, user } = await createApiToken(database.db, {
          email,
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
        });
        process.stderr.write(`API token for ${user.email} (${user.role}); it is shown only once:\n`);
        process.stdout.write(`${token}\n`);
        return 0;
      });
    },
  },

  'duplicates scan': {
    summary: "Scan a clinic's patients for likely duplicates and put them in the review queue",
    args: '[--tenant SLUG]',
    options: { tenant: { type: 'string' } },
    async run(values, config) {
      return withDatabase(config, async (database) => {
        const tenant = await pickTenant(database, values.tenant as string | undefined);
        const { scanTenantForDuplicates } = await import('../modules/duplicates/detect.ts');
        const result = await scanTenantForDuplicates(
          { db: database.db, tenantId: tenant.id, actor: { type: 'system', id: null } },
          { onProgress: (done, total) => done % 10_000 === 0 && process.stderr.write(`  ${done}/${total} patients\n`) },
        );
        process.stdout.write(
          `Scanned ${result.patients} patients of ${tenant.name} in ${(result.ms / 1000).toFixed(1)}s: ` +
            `${result.pairsCompared} pairs compared, ${result.clear} clear and ${result.likely} likely duplicates.\n`,
        );
        return 0;
      });
    },
  },

  'tenant create': {
    summary: 'Create a tenant (a clinic or clinic group)',
    args: '--name NAME [--slug SLUG] [--time-zone IANA_ZONE]',
    options: { name: { type: 'string' }, slug: { type: 'string' }, 'time-zone': { type: 'string' } },
    async run(values, config) {
      const name = required(values, 'name');
      return withDatabase(config, async (database) => {
        const tenant = await createTenant(database.db, {
          name,
          ...(typeof values.slug === 'string' ? { slug: values.slug } : {}),
          ...(typeof values['time-zone'] === 'string' ? { timeZone: values['time-zone'] } : {}),
        });
        process.stdout.write(`Created tenant ${tenant.name} (slug ${tenant.slug}, id ${tenant.id}, time zone ${tenant.time_zone}).\n`);
        return 0;
      });
    },
  },

  'import csv': {
    summary: 'Import patients from a CSV file (rows matching an MRN or identifier update that patient)',
    args: 'FILE [--tenant SLUG] [--dry-run] [--map "CSV Column=field,..."] [--date-format YYYY-MM-DD|MM/DD/YYYY|DD/MM/YYYY]',
    options: { tenant: { type: 'string' }, 'dry-run': { type: 'boolean' }, map: { type: 'string', multiple: true }, 'date-format': { type: 'string' } },
    positionals: true,
    async run(values, config, positionals) {
      const { readCsvImportArgs, runCsvImportCommand } = await import('../modules/import/cli.ts');
      const usageError = (message: string) => new UsageError(message);
      const input = readCsvImportArgs(values, positionals, usageError);
      return withDatabase(config, async (database) => {
        const tenant = await pickTenant(database, values.tenant as string | undefined);
        return runCsvImportCommand(database, { ...input, tenantId: tenant.id, stdout: process.stdout, stderr: process.stderr }, usageError);
      });
    },
  },
  'import fhir': {
    summary: 'Import FHIR R4 Bundles or NDJSON (a file or a folder): patients, visits, immunizations, conditions, medications, care plans, claims, directory',
    args: 'PATH [--tenant SLUG] [--dry-run]',
    options: { tenant: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    positionals: true,
    async run(values, config, positionals) {
      const { readFhirImportArgs, runFhirImportCommand } = await import('../modules/fhir-import/cli.ts');
      const input = readFhirImportArgs(values, positionals, (message) => new UsageError(message));
      return withDatabase(config, async (database) => {
        const tenant = await pickTenant(database, values.tenant as string | undefined);
        return runFhirImportCommand(database, { ...input, tenantId: tenant.id, stdout: process.stdout, stderr: process.stderr });
      });
    },
  },
};

export function usage(only?: string): string {
  const entries = Object.entries(commands).filter(([name]) => !only || name === only);
  const lines = entries.map(([name, c]) => `  rapport ${name} ${c.args}\n      ${c.summary}`);
  return `Usage:\n${lines.join('\n')}\n\nConfiguration comes from environment variables; see README.md.\n`;
}
