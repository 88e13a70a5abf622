import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: null,
      leaseTtlMs: 60_000,
      maxAttempts: 3,
      jwtSecret: null,
    });
    expect(config.dataDir.endsWith('.runplane')).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('prepares statements unless RUNPLANE_DB_PREPARE=off', () => {
    expect(loadConfig({}).dbPrepare).toBe(true);
    expect(loadConfig({ RUNPLANE_DB_PREPARE: 'OFF' }).dbPrepare).toBe(false);
    expect(loadConfig({ RUNPLANE_DB_PREPARE: 'on' }).dbPrepare).toBe(true);
  });

  it('logs requests at debug unless RUNPLANE_REQUEST_LOG_LEVEL says otherwise', () => {
    expect(loadConfig({}).requestLogLevel).toBe('debug');
    expect(loadConfig({ RUNPLANE_REQUEST_LOG_LEVEL: 'info' }).requestLogLevel).toBe('info');
    expect(loadConfig({ RUNPLANE_REQUEST_LOG_LEVEL: 'silent' }).requestLogLevel).toBe('silent');
  });

  it('accepts fractional lease TTLs and a postgres URL', () => {
    const config = loadConfig({ RUNPLANE_LEASE_TTL_SECONDS: '1.5', DATABASE_URL: 'postgresql://u:p@db/runplane' });
    expect(config.leaseTtlMs).toBe(1500);
    expect(config.databaseUrl).toBe('postgresql://u:p@db/runplane');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['RUNPLANE_LEASE_TTL_SECONDS', '-1'],
    ['RUNPLANE_MAX_ATTEMPTS', '1.5'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://x/y'],
    ['RUNPLANE_JWT_SECRET', 'too-short'],
    ['RUNPLANE_JWKS_URL', 'ftp://keys'],
    ['RUNPLANE_LOG_LEVEL', 'loud'],
    ['RUNPLANE_REQUEST_LOG_LEVEL', 'warn'],
    ['RUNPLANE_DB_PREPARE', 'yes'],
  ])('a bad %s=%s throws a ConfigError naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });

  it('describeConfig redacts secrets and URL passwords', () => {
    const described = JSON.stringify(
      describeConfig(
        loadConfig({ DATABASE_URL: 'postgres://app:hunter2@db/runplane', RUNPLANE_JWT_SECRET: 'x'.repeat(40) }),
      ),
    );
    expect(described).not.toContain('hunter2');
    expect(described).not.toContain('x'.repeat(40));
  });
});
