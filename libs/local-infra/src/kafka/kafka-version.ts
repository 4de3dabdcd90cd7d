/**
 * The Apache Kafka broker version we run, chosen by proof (docs/adr/0002-kafka-broker-version.md).
 * `LETHE_KAFKA_VERSION` overrides it (e.g. to try another release).
 */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

export function kafkaVersion(): string {
  return process.env.LETHE_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
}

export function kafkaMajor(version: string): number {
  const major = Number(version.split('.')[0]);
  if (!Number.isInteger(major)) throw new Error(`not a Kafka version: ${version}`);
  return major;
}

/** Extra runtime artifacts the broker's pom does not bring: the SLF4J binding the distribution ships. */
export function loggingArtifacts(
  version: string,
): Array<{ groupId: string; artifactId: string; version: string }> {
  return kafkaMajor(version) >= 4
    ? [{ groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: '2.25.5' }]
    : [{ groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' }];
}
