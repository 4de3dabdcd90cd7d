import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { cacheDir } from '../support/paths';
import { consoleLogger, type InfraLogger } from '../support/logger';
import { kafkaVersion, loggingArtifacts } from './kafka-version';

export interface ResolvedKafka {
  version: string;
  /** Folder holding the broker jar and its runtime dependencies. */
  libsDir: string;
  /** Java classpath (`<libsDir>/*`). */
  classpath: string;
}

const COMPLETE_MARKER = '.complete';

/**
 * Makes sure `org.apache.kafka:kafka_2.13:<version>` and its runtime dependencies are in
 * `.cache/kafka/<version>/libs`, downloading them from Maven Central with `mvn` when missing.
 * Safe to call concurrently: each caller resolves into its own folder and renames it into place.
 */
export async function resolveKafka(
  version = kafkaVersion(),
  logger: InfraLogger = consoleLogger,
): Promise<ResolvedKafka> {
  const home = cacheDir('kafka', version);
  const libsDir = path.join(home, 'libs');
  const result = { version, libsDir, classpath: path.join(libsDir, '*') };
  if (isComplete(libsDir, version)) return result;

  const startedAt = Date.now();
  mkdirSync(home, { recursive: true });
  const work = path.join(home, `resolve-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    writeFileSync(path.join(work, 'pom.xml'), pom(version));
    const output = path.join(work, 'libs');
    logger.info(`resolving Apache Kafka ${version} from Maven Central into ${libsDir} ...`);
    await runMaven(work, output);
    const jars = readdirSync(output).filter((f) => f.endsWith('.jar'));
    if (!jars.some((jar) => jar === `kafka_2.13-${version}.jar`)) {
      throw new Error(`Maven finished but kafka_2.13-${version}.jar is not in ${output}`);
    }
    writeFileSync(path.join(output, COMPLETE_MARKER), `${jars.sort().join('\n')}\n`);
    if (isComplete(libsDir, version)) return result; // someone else won the race
    rmSync(libsDir, { recursive: true, force: true });
    try {
      renameSync(output, libsDir);
    } catch (error) {
      if (!isComplete(libsDir, version)) throw error;
    }
    logger.info(
      `Apache Kafka ${version}: ${jars.length} jars resolved in ${Date.now() - startedAt} ms`,
    );
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function isComplete(libsDir: string, version: string): boolean {
  const marker = path.join(libsDir, COMPLETE_MARKER);
  if (!existsSync(marker)) return false;
  const jars = readFileSync(marker, 'utf8').split('\n').filter(Boolean);
  return (
    jars.includes(`kafka_2.13-${version}.jar`) &&
    jars.every((jar) => existsSync(path.join(libsDir, jar)))
  );
}

function pom(version: string): string {
  const deps = [
    { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version },
    ...loggingArtifacts(version),
  ]
    .map(
      (d) =>
        `    <dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version></dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.lethe.local</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

function runMaven(cwd: string, outputDirectory: string): Promise<void> {
  const args = [
    '-B',
    '-q',
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${outputDirectory}`,
  ];
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(process.env.MVN ?? 'mvn', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new Error(`could not run Maven (mvn): ${error.message}. Install Maven 3.8+ or set MVN.`),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `mvn ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${output.split('\n').slice(-40).join('\n')}`,
          ),
        );
    });
  });
}
