import { kafkaMajor } from './kafka-version';

export interface BrokerLayout {
  version: string;
  port: number;
  controllerPort: number;
  /** Folder of this broker: config, logs, data. */
  home: string;
  logDirs: string;
  serverLog: string;
}

/** server.properties of a single combined broker + controller (KRaft, static quorum of one). */
export function serverProperties(layout: BrokerLayout): string {
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${layout.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${layout.port},CONTROLLER://127.0.0.1:${layout.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${layout.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': layout.logDirs,
    'num.partitions': 1,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 3,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.retention.hours': 24,
    'log.segment.bytes': 16 * 1024 * 1024,
  };
  if (kafkaMajor(layout.version) >= 4) {
    settings['share.coordinator.state.topic.replication.factor'] = 1;
    settings['share.coordinator.state.topic.min.isr'] = 1;
  }
  return (
    Object.entries(settings)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join('\n') + '\n'
  );
}

/** Logging config: everything to `serverLog`, nothing on the console. log4j2 for 4.x, log4j 1 for 3.x. */
export function loggingConfig(layout: BrokerLayout): {
  fileName: string;
  content: string;
  jvmFlag: string;
} {
  const quiet = [
    'state.change.logger',
    'kafka.request.logger',
    'kafka.log',
    'org.apache.kafka.storage',
    'org.apache.kafka.common.config.AbstractConfig',
  ];
  if (kafkaMajor(layout.version) >= 4) {
    const fileName = 'log4j2.properties';
    const lines = [
      'status = warn',
      'appender.file.type = File',
      'appender.file.name = FILE',
      `appender.file.fileName = ${layout.serverLog}`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.file.ref = FILE',
      ...quiet.flatMap((name, i) => [`logger.q${i}.name = ${name}`, `logger.q${i}.level = WARN`]),
    ];
    return { fileName, content: lines.join('\n') + '\n', jvmFlag: `-Dlog4j2.configurationFile=` };
  }
  const fileName = 'log4j.properties';
  const lines = [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${layout.serverLog}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    ...quiet.map((name) => `log4j.logger.${name}=WARN`),
  ];
  return { fileName, content: lines.join('\n') + '\n', jvmFlag: `-Dlog4j.configuration=file:` };
}

/** A random KRaft cluster id (base64url of 16 random bytes, as Kafka's Uuid prints it). */
export function randomClusterId(random: (size: number) => Buffer): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
