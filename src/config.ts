// Environment → one typed, frozen config. Read once at boot; a bad value stops start-up naming the variable,
// so a typo never turns into a silently different default.
import path from 'node:path';

export interface Config {
  /** TCP port of the HTTP server. */
  port: number;
  /** Interface to bind; loopback by default so a fresh install is not exposed by accident. */
  host: string;
  /** A postgres:// URL selects PostgreSQL; otherwise the embedded store is used. */
  databaseUrl: string | null;
  /** Data directory of the embedded store (PGlite) and its files. */
  dataDir: string;
  /** How long a claim stays valid without a heartbeat or write from its runner. */
  leaseTtlMs: number;
  /** Claims an item may get before an expired lease fails it with `lease_expired`. */
  maxAttempts: number;
  jwtSecret: string | null;
  jwksUrl: string | null;
  jwtIssuer: string | null;
  jwtAudience: string | null;
  /** Requests per minute per credential (or per IP when none); 0 turns the limiter off. */
  rateLimitPerMinute: number;
  /** How often the lease reaper looks for expired leases; below 1 s so expiry is seen within a second. */
  reaperIntervalMs: number;
  /**
   * How often each instance sweeps for pending work its parked long polls may have missed (one query per instance);
   * wake-ups come from notifications, so this only covers a lost one.
   */
  claimRepollMs: number;
  /** Bearer token /metrics requires; without one, only loopback clients may scrape. */
  metricsToken: string | null;
  /**
   * How long a verified API key is trusted without asking the store again. Saves a query per request; a revoked key
   * keeps working on an instance for at most this long. 0 checks every request.
   */
  authCacheMs: number;
  /** Largest artifact upload accepted (streamed, never buffered whole). */
  artifactMaxBytes: number;
  /** Where review results are posted. A forge is used when the review names a pull request on it. */
  delivery: {
    githubApiUrl: string;
    githubToken: string | null;
    gitlabApiUrl: string;
    gitlabToken: string | null;
    /** Generic webhook: every finished review is POSTed here, signed with HMAC-SHA256 of the body. */
    webhookUrl: string | null;
    webhookSecret: string | null;
    /** Attempts per destination before the delivery is marked failed. */
    maxAttempts: number;
  };
  /** GitHub webhook intake (POST /api/webhooks/github). */
  githubWebhook: {
    secret: string | null;
    /** Org (slug) the reviews of incoming pull requests belong to. */
    org: string | null;
    /** aiConfig given to reviews created from webhooks. */
    aiProvider: string;
    aiModel: string;
  };
  /** PostgreSQL: how long a request waits for a pooled connection (or a new one) before 503 store_unavailable. */
  dbConnectTimeoutMs: number;
  /** PostgreSQL: send statements as named prepared statements (off behind a pooler that cannot keep them). */
  dbPrepare: boolean;
  /** PostgreSQL: the longest one statement may run; a runaway query cannot hold a connection for ever. */
  dbStatementTimeoutMs: number;
  /** PostgreSQL: a transaction left idle this long is ended by the server, freeing its connection and locks. */
  dbIdleInTransactionTimeoutMs: number;
  /** Audit records older than this many days are deleted by the maintenance loop. */
  auditRetentionDays: number;
  /**
   * The unattended first run (containers): on a store with no console user, this admin is created at start, in
   * this org, with the password read from the file (never from the environment, where `ps e` shows it).
   */
  bootstrapAdmin: { org: string; email: string; passwordFile: string } | null;
  /** After SIGTERM/SIGINT the process exits within this long, whatever its clients do. */
  shutdownGraceMs: number;
  /**
   * A cancel its runner has not confirmed within this long is finalised by the server (cancelled, cancel_forced):
   * the cancelled item's lease stops being extended and lapses at the latest this long after the request.
   */
  cancelGraceMs: number;
  /** How long a permission request waits for a person before it expires (it also ends with its attempt). */
  approvalTimeoutMs: number;
  logLevel: string;
  /**
   * The level of the one line each HTTP request logs. Debug by default: a fleet's heartbeats and polls at info would
   * bury the domain events (runner registered, claim, result…), which stay at info.
   */
  requestLogLevel: RequestLogLevel;
}

export const REQUEST_LOG_LEVELS = ['trace', 'debug', 'info', 'silent'] as const;
export type RequestLogLevel = (typeof REQUEST_LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new ConfigError(
    name,
    `"${env[name]}" is not on or off; unset it to use the default ${fallback ? 'on' : 'off'}`,
  );
}

function number(env: Env, name: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) {
    throw new ConfigError(name, `"${raw}" is not ${rule}; unset it to use the default ${fallback}`);
  }
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = text(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL (expected ${protocols.join(' or ')})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const jwtSecret = text(env, 'RUNPLANE_JWT_SECRET');
  if (jwtSecret !== null && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('RUNPLANE_JWT_SECRET', 'must be at least 32 bytes for HS256');
  }
  const logLevel = text(env, 'RUNPLANE_LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(
      'RUNPLANE_LOG_LEVEL',
      `"${logLevel}" is not one of fatal, error, warn, info, debug, trace, silent`,
    );
  }
  const config: Config = {
    port: number(env, 'PORT', 8080, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port number (0-65535)'),
    host: text(env, 'HOST') ?? '127.0.0.1',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(text(env, 'RUNPLANE_DATA_DIR') ?? './.runplane'),
    leaseTtlMs: Math.round(
      number(env, 'RUNPLANE_LEASE_TTL_SECONDS', 60, (n) => n >= 0.1 && n <= 86400, 'a number of seconds (0.1-86400)') *
        1000,
    ),
    maxAttempts: number(
      env,
      'RUNPLANE_MAX_ATTEMPTS',
      3,
      (n) => Number.isInteger(n) && n >= 1 && n <= 100,
      'an integer 1-100',
    ),
    jwtSecret,
    jwksUrl: url(env, 'RUNPLANE_JWKS_URL', ['https:', 'http:']),
    jwtIssuer: text(env, 'RUNPLANE_JWT_ISSUER'),
    jwtAudience: text(env, 'RUNPLANE_JWT_AUDIENCE'),
    rateLimitPerMinute: number(
      env,
      'RUNPLANE_RATE_LIMIT_PER_MINUTE',
      60000,
      (n) => Number.isInteger(n) && n >= 0,
      'a whole number of requests per minute (0 disables)',
    ),
    reaperIntervalMs: number(
      env,
      'RUNPLANE_REAPER_INTERVAL_MS',
      250,
      (n) => Number.isInteger(n) && n >= 10 && n <= 1000,
      'an integer 10-1000',
    ),
    claimRepollMs:
      number(env, 'RUNPLANE_CLAIM_REPOLL_SECONDS', 5, (n) => n >= 0.1 && n <= 300, 'a number of seconds (0.1-300)') *
      1000,
    metricsToken: text(env, 'RUNPLANE_METRICS_TOKEN'),
    authCacheMs:
      number(env, 'RUNPLANE_AUTH_CACHE_SECONDS', 5, (n) => n >= 0 && n <= 300, 'a number of seconds (0-300)') * 1000,
    artifactMaxBytes: number(
      env,
      'RUNPLANE_ARTIFACT_MAX_BYTES',
      100 * 1024 * 1024,
      (n) => Number.isInteger(n) && n >= 1,
      'a whole number of bytes',
    ),
    delivery: {
      githubApiUrl: url(env, 'RUNPLANE_GITHUB_API_URL', ['https:', 'http:']) ?? 'https://api.github.com',
      githubToken: text(env, 'RUNPLANE_GITHUB_TOKEN'),
      gitlabApiUrl: url(env, 'RUNPLANE_GITLAB_API_URL', ['https:', 'http:']) ?? 'https://gitlab.com/api/v4',
      gitlabToken: text(env, 'RUNPLANE_GITLAB_TOKEN'),
      webhookUrl: url(env, 'RUNPLANE_WEBHOOK_URL', ['https:', 'http:']),
      webhookSecret: text(env, 'RUNPLANE_WEBHOOK_SECRET'),
      maxAttempts: number(
        env,
        'RUNPLANE_DELIVERY_MAX_ATTEMPTS',
        8,
        (n) => Number.isInteger(n) && n >= 1 && n <= 100,
        'an integer 1-100',
      ),
    },
    githubWebhook: {
      secret: text(env, 'RUNPLANE_GITHUB_WEBHOOK_SECRET'),
      org: text(env, 'RUNPLANE_GITHUB_WEBHOOK_ORG'),
      aiProvider: text(env, 'RUNPLANE_REVIEW_AI_PROVIDER') ?? 'openai',
      aiModel: text(env, 'RUNPLANE_REVIEW_AI_MODEL') ?? 'gpt-4o-mini',
    },
    dbConnectTimeoutMs: milliseconds(env, 'RUNPLANE_DB_CONNECT_TIMEOUT_MS', 5000),
    dbPrepare: onOff(env, 'RUNPLANE_DB_PREPARE', true),
    dbStatementTimeoutMs: milliseconds(env, 'RUNPLANE_DB_STATEMENT_TIMEOUT_MS', 30_000),
    dbIdleInTransactionTimeoutMs: milliseconds(env, 'RUNPLANE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000),
    auditRetentionDays: number(
      env,
      'RUNPLANE_AUDIT_RETENTION_DAYS',
      365,
      (n) => Number.isInteger(n) && n >= 1 && n <= 36_500,
      'a whole number of days (1-36500)',
    ),
    shutdownGraceMs:
      number(
        env,
        'RUNPLANE_SHUTDOWN_GRACE_SECONDS',
        10,
        (n) => n > 0 && n <= 3600,
        'a number of seconds (more than 0, at most 3600)',
      ) * 1000,
    cancelGraceMs:
      number(
        env,
        'RUNPLANE_CANCEL_GRACE_SECONDS',
        30,
        (n) => n >= 0.1 && n <= 86400,
        'a number of seconds (0.1-86400)',
      ) * 1000,
    approvalTimeoutMs:
      number(
        env,
        'RUNPLANE_APPROVAL_TIMEOUT_SECONDS',
        900,
        (n) => n >= 1 && n <= 604800,
        'a number of seconds (1-604800)',
      ) * 1000,
    bootstrapAdmin: bootstrapAdmin(env),
    logLevel,
    requestLogLevel: requestLogLevel(env),
  };
  if (config.delivery.webhookUrl && !config.delivery.webhookSecret) {
    throw new ConfigError(
      'RUNPLANE_WEBHOOK_SECRET',
      'is required when RUNPLANE_WEBHOOK_URL is set (deliveries are signed)',
    );
  }
  if (config.githubWebhook.secret && !config.githubWebhook.org) {
    throw new ConfigError(
      'RUNPLANE_GITHUB_WEBHOOK_ORG',
      'is required with RUNPLANE_GITHUB_WEBHOOK_SECRET (the org reviews belong to)',
    );
  }
  return Object.freeze(config);
}

function bootstrapAdmin(env: Env): Config['bootstrapAdmin'] {
  const email = text(env, 'RUNPLANE_BOOTSTRAP_ADMIN_EMAIL');
  const passwordFile = text(env, 'RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE');
  if (email && !passwordFile) {
    throw new ConfigError('RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE', 'is required with RUNPLANE_BOOTSTRAP_ADMIN_EMAIL');
  }
  if (passwordFile && !email) {
    throw new ConfigError('RUNPLANE_BOOTSTRAP_ADMIN_EMAIL', 'is required with RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE');
  }
  if (!email || !passwordFile) return null;
  return { org: text(env, 'RUNPLANE_BOOTSTRAP_ORG') ?? 'default', email, passwordFile: path.resolve(passwordFile) };
}

function requestLogLevel(env: Env): RequestLogLevel {
  const value = text(env, 'RUNPLANE_REQUEST_LOG_LEVEL') ?? 'debug';
  if (!(REQUEST_LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(
      'RUNPLANE_REQUEST_LOG_LEVEL',
      `"${value}" is not one of ${REQUEST_LOG_LEVELS.join(', ')}; unset it to use the default debug`,
    );
  }
  return value as RequestLogLevel;
}

function milliseconds(env: Env, name: string, fallback: number): number {
  return number(
    env,
    name,
    fallback,
    (n) => Number.isInteger(n) && n >= 100 && n <= 86_400_000,
    'milliseconds (100-86400000)',
  );
}

/** The config as printed at start: secrets and passwords in URLs replaced. */
export function describeConfig(config: Config): Record<string, unknown> {
  const redactUrl = (value: string | null) => {
    if (value === null) return null;
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  };
  const secret = (value: string | null) => (value ? '***' : null);
  return {
    ...config,
    store: config.databaseUrl ? 'postgres' : 'embedded',
    databaseUrl: redactUrl(config.databaseUrl),
    jwtSecret: secret(config.jwtSecret),
    metricsToken: secret(config.metricsToken),
    delivery: {
      ...config.delivery,
      githubToken: secret(config.delivery.githubToken),
      gitlabToken: secret(config.delivery.gitlabToken),
      webhookSecret: secret(config.delivery.webhookSecret),
    },
    githubWebhook: { ...config.githubWebhook, secret: secret(config.githubWebhook.secret) },
  };
}
