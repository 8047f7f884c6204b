import { parse } from 'yaml';
import { JobConfigurationError } from '../errors';
import { resolveJobConfiguration } from './job-configuration.validator';
import {
  fromConfigurationYaml,
  toConfigurationYaml,
  unmanagedFields,
  updateConfigurationYaml,
} from './job-configuration.yaml';

const ELASTIC_JOB_3_YAML = `cron: 0/5 * * * * ?
description: ''
disabled: false
failover: true
jobName: javaJob
jobParameter: ''
maxTimeDiffSeconds: -1
misfire: true
monitorExecution: true
overwrite: true
reconcileIntervalMinutes: 10
shardingItemParameters: 0=Beijing,1=Shanghai,2=Guangzhou
shardingTotalCount: 3
staticSharding: false
jobExtraConfigurations: []
jobListenerTypes: []
props: {}
`;

const fullConfig = () =>
  resolveJobConfiguration({
    name: 'orderJob',
    cron: '*/5 * * * * ?',
    timeZone: 'GMT+08:00',
    shardingTotalCount: 3,
    shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
    jobParameter: 'mode=full',
    monitorExecution: false,
    failover: true,
    misfire: false,
    maxTimeDiffSeconds: 60,
    reconcileIntervalMinutes: 0,
    jobShardingStrategyType: 'ROUND_ROBIN',
    jobErrorHandlerType: 'THROW',
    jobListenerTypes: ['audit', 'metrics'],
    description: 'orders: nightly # not a comment',
    disabled: true,
    overwrite: true,
    staticSharding: true,
    maxConcurrency: 2,
    props: { 'script.command.line': 'echo "hi"', 'http.uri': 'http://localhost:8080/run' },
  });

function yamlError(text: string): JobConfigurationError {
  try {
    fromConfigurationYaml('badJob', text);
  } catch (error) {
    expect(error).toBeInstanceOf(JobConfigurationError);
    return error as JobConfigurationError;
  }
  throw new Error(`expected a JobConfigurationError for ${JSON.stringify(text)}`);
}

describe('toConfigurationYaml / fromConfigurationYaml', () => {
  it('round-trips every field except the local-only maxConcurrency', () => {
    const config = fullConfig();
    const yaml = toConfigurationYaml(config);
    const back = resolveJobConfiguration(fromConfigurationYaml('orderJob', yaml));
    const { maxConcurrency, ...stored } = config;
    expect(maxConcurrency).toBe(2);
    expect(back).toStrictEqual(stored);
  });

  it('round-trips a configuration with only defaults', () => {
    const config = resolveJobConfiguration({ name: 'oneOff', shardingTotalCount: 1 });
    expect(resolveJobConfiguration(fromConfigurationYaml('oneOff', toConfigurationYaml(config)))).toStrictEqual(config);
  });

  it("writes ElasticJob's JobConfigurationPOJO keys in alphabetical order", () => {
    const keys = Object.keys(parse(toConfigurationYaml(fullConfig())));
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual([
      'cron',
      'description',
      'disabled',
      'failover',
      'jobErrorHandlerType',
      'jobListenerTypes',
      'jobName',
      'jobParameter',
      'jobShardingStrategyType',
      'maxTimeDiffSeconds',
      'misfire',
      'monitorExecution',
      'overwrite',
      'props',
      'reconcileIntervalMinutes',
      'shardingItemParameters',
      'shardingTotalCount',
      'staticSharding',
      'timeZone',
    ]);
  });

  it('writes the job name as jobName, not name', () => {
    const pojo = parse(toConfigurationYaml(fullConfig()));
    expect(pojo.jobName).toBe('orderJob');
    expect(pojo).not.toHaveProperty('name');
    expect(pojo).not.toHaveProperty('maxConcurrency');
  });

  it('leaves out undefined and empty fields', () => {
    const config = resolveJobConfiguration({ name: 'plain', shardingTotalCount: 2, description: '', jobParameter: '' });
    const pojo = parse(toConfigurationYaml(config));
    for (const key of ['cron', 'timeZone', 'shardingItemParameters', 'jobParameter', 'description']) {
      expect(pojo).not.toHaveProperty(key);
    }
    expect(pojo).toMatchObject({ jobName: 'plain', shardingTotalCount: 2, misfire: true });
  });

  it('writes a value YAML would misread (a leading "*") so that it reads back as the same string', () => {
    const yaml = toConfigurationYaml(fullConfig());
    expect(parse(yaml).cron).toBe('*/5 * * * * ?');
  });

  describe('YAML written by ElasticJob 3.0.x', () => {
    it('parses into the same configuration, tolerating unknown keys', () => {
      const resolved = resolveJobConfiguration(fromConfigurationYaml('javaJob', ELASTIC_JOB_3_YAML));
      expect(resolved).toStrictEqual({
        name: 'javaJob',
        cron: '0/5 * * * * ?',
        shardingTotalCount: 3,
        shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
        monitorExecution: true,
        failover: true,
        misfire: true,
        maxTimeDiffSeconds: -1,
        reconcileIntervalMinutes: 10,
        jobShardingStrategyType: 'AVG_ALLOCATION',
        jobErrorHandlerType: 'LOG',
        jobListenerTypes: [],
        disabled: false,
        overwrite: true,
        staticSharding: false,
        props: {},
      });
    });

    it('does not carry unknown keys into the configuration', () => {
      expect(fromConfigurationYaml('javaJob', ELASTIC_JOB_3_YAML)).not.toHaveProperty('jobExtraConfigurations');
    });

    it('reads empty strings as absent', () => {
      const config = fromConfigurationYaml('javaJob', ELASTIC_JOB_3_YAML);
      expect(config.description).toBeUndefined();
      expect(config.jobParameter).toBeUndefined();
    });
  });

  it('uses the given job name when the YAML has no jobName', () => {
    expect(fromConfigurationYaml('fallback', 'shardingTotalCount: 2\n').name).toBe('fallback');
  });

  it.each([
    ['an unclosed flow sequence', 'cron: [0/5 * * * * ?\njobName: x\n'],
    ['a bad indentation', 'jobName: x\n  shardingTotalCount: 2\n bad: 1\n'],
    ['a sequence instead of a mapping', '- jobName\n- shardingTotalCount\n'],
    ['a scalar instead of a mapping', 'just some text'],
  ])('rejects %s with a JobConfigurationError on field "config"', (_label, text) => {
    const error = yamlError(text);
    expect(error.jobName).toBe('badJob');
    expect(error.field).toBe('config');
    expect(error.message).toContain('Job "badJob": invalid "config"');
  });
});

describe('a configuration written over ElasticJob YAML', () => {
  // As ElasticJob 3.0.4 stores a job (its YAML writer: every field it has, in alphabetical order).
  const stored = [
    'cron: 0/5 * * * * ?',
    'description: orders',
    'disabled: false',
    'failover: true',
    'jobExecutorServiceHandlerType: SINGLE_THREAD',
    'jobExtraConfigurations:',
    '- !!org.apache.shardingsphere.elasticjob.tracing.yaml.YamlTracingConfiguration',
    '  tracingType: RDB',
    'jobListenerTypes: []',
    'jobName: orders',
    'jobParameter: p',
    'label: blue',
    'maxTimeDiffSeconds: -1',
    'misfire: true',
    'monitorExecution: true',
    'overwrite: false',
    'props:',
    '  a: "1"',
    'reconcileIntervalMinutes: 10',
    'shardingItemParameters: 0=a,1=b',
    'shardingTotalCount: 2',
    'staticSharding: false',
    '',
  ].join('\n');
  const read = () => resolveJobConfiguration({ ...fromConfigurationYaml('orders', stored), name: 'orders' });

  it('changes only what changed, and keeps the fields it does not manage as they were', () => {
    const previous = read();
    const next = { ...previous, cron: '0/10 * * * * ?', shardingTotalCount: 3 };
    const written = updateConfigurationYaml(stored, next, previous);
    expect(written).toBe(
      stored
        .replace('cron: 0/5 * * * * ?', 'cron: 0/10 * * * * ?')
        .replace('shardingTotalCount: 2', 'shardingTotalCount: 3'),
    );
    expect(unmanagedFields(written)).toEqual({
      jobExecutorServiceHandlerType: 'SINGLE_THREAD',
      jobExtraConfigurations: [{ tracingType: 'RDB' }],
      label: 'blue',
    });
  });

  it('adds no default that was not there, and removes a field unset', () => {
    const minimal = 'cron: 0/5 * * * * ?\njobName: orders\nshardingTotalCount: 2\nlabel: blue\n';
    const previous = resolveJobConfiguration({ ...fromConfigurationYaml('orders', minimal), name: 'orders' });
    expect(updateConfigurationYaml(minimal, { ...previous, cron: undefined, failover: true }, previous)).toBe(
      'jobName: orders\nshardingTotalCount: 2\nlabel: blue\nfailover: true\n',
    );
  });

  it('writes the whole configuration when nothing readable is stored', () => {
    const next = read();
    expect(updateConfigurationYaml(null, next, undefined)).toBe(toConfigurationYaml(next));
    expect(updateConfigurationYaml('[not, a, mapping]', next, undefined)).toBe(toConfigurationYaml(next));
  });
});
