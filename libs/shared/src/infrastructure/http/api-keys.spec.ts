import { ApiKeyRegistry, apiKeysSchema } from './api-keys';

describe('apiKeysSchema', () => {
  it('parses name:key:role+role entries', () => {
    const parsed = apiKeysSchema.parse(
      'crm:0123456789abcdef:publisher,dpo:fedcba9876543210:compliance+auditor',
    );
    expect(parsed).toEqual([
      { name: 'crm', key: '0123456789abcdef', roles: ['publisher'] },
      { name: 'dpo', key: 'fedcba9876543210', roles: ['compliance', 'auditor'] },
    ]);
  });

  it('binds a key to CloudEvent sources after the third colon, separated by |', () => {
    const parsed = apiKeysSchema.parse(
      'crm:0123456789abcdef:publisher:urn:lethe:app:crm|urn:lethe:app:crm-eu,' +
        'dpo:fedcba9876543210:compliance',
    );
    expect(parsed).toEqual([
      {
        name: 'crm',
        key: '0123456789abcdef',
        roles: ['publisher'],
        sources: ['urn:lethe:app:crm', 'urn:lethe:app:crm-eu'],
      },
      { name: 'dpo', key: 'fedcba9876543210', roles: ['compliance'] },
    ]);
    const principal = new ApiKeyRegistry(parsed).authenticate('0123456789abcdef');
    expect(principal).toEqual({
      kind: 'api-key',
      name: 'crm',
      roles: ['publisher'],
      sources: ['urn:lethe:app:crm', 'urn:lethe:app:crm-eu'],
    });
  });

  it('refuses an empty source and a name used twice', () => {
    const r = apiKeysSchema.safeParse(
      'crm:0123456789abcdef:publisher:urn:a||urn:b,crm:fedcba9876543210:compliance',
    );
    const messages = r.success ? [] : r.error.issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining('empty or over-long source'),
      expect.stringContaining('key name crm is used twice'),
    ]);
  });

  it('reports short keys, unknown roles and malformed entries together', () => {
    const r = apiKeysSchema.safeParse('a:short:publisher,b:0123456789abcdef:wizard,broken');
    expect(r.success).toBe(false);
    const messages = r.success ? [] : r.error.issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining('shorter than 16'),
      expect.stringContaining('unknown role(s) wizard'),
      expect.stringContaining('entry 3: expected name:key:role+role'),
    ]);
  });
});

describe('ApiKeyRegistry', () => {
  const registry = new ApiKeyRegistry([
    { name: 'crm', key: '0123456789abcdef', roles: ['publisher'] },
    { name: 'dpo', key: 'fedcba9876543210', roles: ['compliance'] },
  ]);

  it('finds the principal of a known key', () => {
    expect(registry.authenticate('fedcba9876543210')).toEqual({
      kind: 'api-key',
      name: 'dpo',
      roles: ['compliance'],
    });
  });

  it('rejects unknown keys and prefixes of known keys', () => {
    expect(registry.authenticate('nope')).toBeUndefined();
    expect(registry.authenticate('0123456789abcde')).toBeUndefined();
  });
});
