import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, EnvironmentVariables, loadEnvironment, OPTIONAL_VARIABLES, trustedProxies } from './app-config';

describe('configuration', () => {
  it('has a default for everything, so no variable is needed to start', () => {
    const env = loadEnvironment({});
    expect(env).toMatchObject({ PORT: 3000, DATA_DIR: './.data', BODY_LIMIT_BYTES: 1048576, JWT_TTL_SECONDS: 900 });
    expect(env.TRUST_PROXY).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('converts and accepts good values', () => {
    const env = loadEnvironment({ PORT: '8080', TRUST_PROXY: '1', DATABASE_URL: 'postgres://u:p@db:5432/crm', LOG_LEVEL: 'warn' });
    expect(env).toMatchObject({ PORT: 8080, TRUST_PROXY: '1', DATABASE_URL: 'postgres://u:p@db:5432/crm', LOG_LEVEL: 'warn' });
  });

  it('refuses bad values with one message naming each variable and what it expects', () => {
    let error: Error | undefined;
    try {
      loadEnvironment({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', JWT_SECRET: 'short' });
    } catch (err) {
      error = err as Error;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error!.message).toMatch(/PORT: .*integer.*\(got "eighty"\)/);
    expect(error!.message).toMatch(/DATABASE_URL: .*postgres:\/\//);
    expect(error!.message).toMatch(/LOG_LEVEL: .*one of the following values/);
    expect(error!.message).toMatch(/JWT_SECRET: .*32 characters/);
    expect(error!.message).not.toContain('short'); // secrets are not echoed
  });

  it('trusts named proxies only: a hop count or addresses, never every hop', () => {
    expect(() => loadEnvironment({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: .*hop count.*"true" would let any client choose its own address/);
    expect(trustedProxies(loadEnvironment({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY)).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(trustedProxies(loadEnvironment({ TRUST_PROXY: '2' }).TRUST_PROXY)).toBe(2);
    expect(trustedProxies(loadEnvironment({}).TRUST_PROXY)).toBe(false);
  });

  it('[SEC-TRANSFER] requires a JWT secret in production', () => {
    expect(() => loadEnvironment({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: must be set in production/);
  });

  it('every variable is listed in docs/operations.md with its default', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
    const defaults = new EnvironmentVariables() as unknown as Record<string, unknown>;
    const names = [...Object.keys(defaults), ...OPTIONAL_VARIABLES];
    for (const name of new Set(names)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      expect({ name, listed: Boolean(row) }).toEqual({ name, listed: true });
      if (defaults[name] !== undefined) expect({ name, row }).toEqual({ name, row: expect.stringContaining(`\`${String(defaults[name])}\``) });
    }
  });
});
