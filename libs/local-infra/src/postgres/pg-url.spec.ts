import { databaseOf, redactUrl, withDatabase } from './pg-url';

describe('postgres URLs', () => {
  const url = 'postgres://postgres:s3cret@127.0.0.1:5544/postgres?sslmode=disable';

  it('swaps the database and keeps the rest', () => {
    const other = withDatabase(url, 'lethe_t_1');
    expect(other).toBe('postgres://postgres:s3cret@127.0.0.1:5544/lethe_t_1?sslmode=disable');
    expect(databaseOf(other)).toBe('lethe_t_1');
  });

  it('hides the password', () => {
    expect(redactUrl(url)).not.toContain('s3cret');
  });
});
