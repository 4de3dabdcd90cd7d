import { z } from 'zod';
import { ConfigValidationError, env, loadConfig } from './config';

const schema = z.object({
  PORT: env.port(3000),
  FLAG: env.bool(false),
  BROKERS: env.csv().optional(),
  SECRET: z.string().min(8),
});

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const c = loadConfig('app', schema, { SECRET: '12345678', BROKERS: 'a:1, b:2' });
    expect(c).toEqual({ PORT: 3000, FLAG: false, BROKERS: ['a:1', 'b:2'], SECRET: '12345678' });
  });

  it('lists every problem, not only the first', () => {
    let error: unknown;
    try {
      loadConfig('app', schema, { PORT: '99999', FLAG: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const problems = (error as ConfigValidationError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/FLAG/);
    expect(problems.join('\n')).toMatch(/SECRET/);
    expect((error as Error).message).toContain('app: invalid configuration (3 problems)');
  });
});
