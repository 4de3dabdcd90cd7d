import { randomBytes } from 'node:crypto';
import {
  loggingConfig,
  randomClusterId,
  serverProperties,
  type BrokerLayout,
} from './broker-config';

const layout = (version: string): BrokerLayout => ({
  version,
  port: 19092,
  controllerPort: 19093,
  home: '/x/kafka-19092',
  logDirs: '/x/kafka-19092/data',
  serverLog: '/x/kafka-19092/server.log',
});

function parse(properties: string): Map<string, string> {
  return new Map(
    properties
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
}

describe('broker config', () => {
  it('runs one combined KRaft node on loopback with the test-friendly settings', () => {
    const props = parse(serverProperties(layout('4.4.0')));
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props.get('auto.create.topics.enable')).toBe('false');
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.min.isr')).toBe('1');
    expect(props.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(props.get('share.coordinator.state.topic.replication.factor')).toBe('1');
  });

  it('leaves out 4.x-only settings for 3.x brokers', () => {
    const props = parse(serverProperties(layout('3.9.2')));
    expect(props.has('share.coordinator.state.topic.replication.factor')).toBe(false);
  });

  it('logs to the file with log4j2 on 4.x and log4j 1 on 3.x', () => {
    const v4 = loggingConfig(layout('4.4.0'));
    expect(v4.fileName).toBe('log4j2.properties');
    expect(v4.jvmFlag).toBe('-Dlog4j2.configurationFile=');
    expect(v4.content).toContain('appender.file.fileName = /x/kafka-19092/server.log');
    expect(v4.content).not.toMatch(/Console/i);
    const v3 = loggingConfig(layout('3.9.2'));
    expect(v3.fileName).toBe('log4j.properties');
    expect(v3.content).toContain('log4j.appender.file.File=/x/kafka-19092/server.log');
  });

  it('makes 22-character cluster ids that never start with a dash', () => {
    const ids = Array.from({ length: 200 }, () => randomClusterId(randomBytes));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
    let calls = 0;
    const dashFirst = (size: number): Buffer =>
      calls++ === 0 ? Buffer.alloc(size, 0xfb) : Buffer.alloc(size, 1);
    expect(randomClusterId(dashFirst)).toBe(Buffer.alloc(16, 1).toString('base64url'));
  });
});
