import path from 'node:path';
import { z } from 'zod';

/** Environment variables Rapport reads, once, at start. */
const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const configSchema = z.object({
  PORT: z.coerce.number({ message: 'must be a number' }).int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('localhost'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number({ message: 'must be a number' }).int().min(1).max(500).default(10),
  RAPPORT_DATA_DIR: z.string().min(1).default('./data'),
  PGLITE_SHARED_BUFFERS_MB: z.coerce.number({ message: 'must be a number' }).int().min(1).max(4096).default(16),
  RAPPORT_DEMO: booleanFromEnv.default(true),
  RAPPORT_PUBLIC_URL: z.url({ message: 'must be an absolute URL such as https://rapport.example.org' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_IDLE_MINUTES: z.coerce.number({ message: 'must be a number' }).int().min(1).max(24 * 60).default(30),
  SESSION_MAX_HOURS: z.coerce.number({ message: 'must be a number' }).int().min(1).max(24 * 30).default(12),
  LOGIN_MAX_FAILURES: z.coerce.number({ message: 'must be a number' }).int().min(1).max(1000).default(5),
  LOGIN_WINDOW_MINUTES: z.coerce.number({ message: 'must be a number' }).int().min(1).max(24 * 60).default(15),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(,\s*[0-9a-fA-F.:/]+)*)$/, 'must be true, false, a number of hops, or a comma-separated list of proxy addresses')
    .default('false'),
  BODY_LIMIT_BYTES: z.coerce.number({ message: 'must be a number' }).int().min(1024).default(1024 * 1024),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^/]+/, 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.org:587')
    .optional(),
  OUTBOX_CONCURRENCY: z.coerce.number({ message: 'must be a number' }).int().min(1).max(64).default(4),
  JOURNEY_LOOKAHEAD_MINUTES: z.coerce.number({ message: 'must be a number' }).int().min(0).max(240).default(30),
  HL7_PORT: z.coerce.number({ message: 'must be a number' }).int().min(0).max(65535).default(2575),
  HL7_HOST: z.string().min(1).optional(),
  HL7_TENANT: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a clinic slug such as my-clinic').optional(),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  dataDir: string;
  /** PGlite's shared_buffers; its own default of 128 MB is most of an idle process's memory. */
  pgliteSharedBuffersMb: number;
  demo: boolean;
  /** Where people reach Rapport; http://localhost:PORT when unset. */
  publicUrl: string | undefined;
  logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  loginMaxFailures: number;
  loginWindowMinutes: number;
  bodyLimitBytes: number;
  /** Fastify's trustProxy: whose X-Forwarded-For to believe for the client's address. */
  trustProxy: boolean | number | string;
  cookieSecure: boolean;
  /** The relay outgoing email goes through; without it email lands in the sandbox. */
  smtpUrl: string | undefined;
  /** Messages one worker process sends at once. */
  outboxConcurrency: number;
  /** Minutes before their instant that reminders before a visit become outbox messages (0: at the instant). */
  journeyLookaheadMinutes: number;
  /** The MLLP listener of the hl7 service: port, address (HOST when unset), and the clinic it feeds. */
  hl7Port: number;
  hl7Host: string;
  hl7Tenant: string | undefined;
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `FOO= npm start` behaves like not setting FOO.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = env[name];
        return `${name}: ${issue.message}${value === undefined ? ' (not set)' : ` (got "${value}")`}`;
      }),
    );
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    dataDir: path.resolve(e.RAPPORT_DATA_DIR),
    pgliteSharedBuffersMb: e.PGLITE_SHARED_BUFFERS_MB,
    demo: e.RAPPORT_DEMO,
    publicUrl: e.RAPPORT_PUBLIC_URL?.replace(/\/$/, ''),
    logLevel: e.LOG_LEVEL,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionMaxHours: e.SESSION_MAX_HOURS,
    loginMaxFailures: e.LOGIN_MAX_FAILURES,
    loginWindowMinutes: e.LOGIN_WINDOW_MINUTES,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    trustProxy: e.TRUST_PROXY === 'true' ? true : e.TRUST_PROXY === 'false' ? false : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    cookieSecure: Boolean(e.RAPPORT_PUBLIC_URL?.startsWith('https://')),
    smtpUrl: e.SMTP_URL,
    outboxConcurrency: e.OUTBOX_CONCURRENCY,
    journeyLookaheadMinutes: e.JOURNEY_LOOKAHEAD_MINUTES,
    hl7Port: e.HL7_PORT,
    hl7Host: e.HL7_HOST ?? e.HOST,
    hl7Tenant: e.HL7_TENANT,
  };
}
