import { Logger } from '@nestjs/common';
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fromConfigurationYaml, toConfigurationYaml } from '../config';
import { ElasticJobError, JobOperationError } from '../errors';
import { JobConfiguration, ResolvedJobConfiguration } from '../interfaces';
import {
  JobConfigurationApi,
  JobOperateApi,
  JobStatisticsApi,
  ServerStatisticsApi,
  ShardingOperateApi,
  ShardingStatisticsApi,
} from '../operations';
import { ZookeeperRegistryCenter } from '../registry-center';
import { applyAssignments } from './config-assignments';
import { table } from './cli.output';

interface GlobalOptions {
  zk: string;
  namespace?: string;
  digest?: string;
  json?: boolean;
  timeout: number;
}

/** The operations APIs on one connection, as a command uses them. */
interface Apis {
  operate: JobOperateApi;
  config: JobConfigurationApi;
  jobs: JobStatisticsApi;
  servers: ServerStatisticsApi;
  sharding: ShardingStatisticsApi;
  items: ShardingOperateApi;
}

/** What a command prints: a value for `--json`, and the text otherwise. */
interface Output {
  json: unknown;
  text: string;
}

type Action = (apis: Apis, options: GlobalOptions) => Promise<Output>;

/**
 * `nestjs-elasticjob`: the operations APIs from a terminal. Resolves the exit code: 0, or 1 after printing a one-line
 * error (bad input, unknown job, unreachable ZooKeeper).
 */
export async function runCli(
  argv: string[],
  io: { out: (text: string) => void; err: (text: string) => void },
): Promise<number> {
  // The library logs through Nest's logger; the CLI's output is its own (and --json must stay parseable).
  Logger.overrideLogger(false);
  let action: { run: Action; options: GlobalOptions } | undefined;
  const program = buildProgram((run, options) => (action = { run, options }));
  program.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode;
    }
    throw error;
  }
  if (!action) {
    return 0;
  }
  const { run, options } = action;
  const registry = new ZookeeperRegistryCenter({
    serverLists: options.zk,
    namespace: options.namespace!,
    digest: options.digest,
    connectionTimeoutMilliseconds: options.timeout,
    maxRetries: 0,
  });
  try {
    await registry.connect();
    const apis: Apis = {
      operate: new JobOperateApi(registry),
      config: new JobConfigurationApi(registry),
      jobs: new JobStatisticsApi(registry),
      servers: new ServerStatisticsApi(registry),
      sharding: new ShardingStatisticsApi(registry),
      items: new ShardingOperateApi(registry),
    };
    const output = await run(apis, options);
    io.out(
      options.json
        ? `${JSON.stringify(output.json, null, 2)}\n`
        : output.text.endsWith('\n')
          ? output.text
          : `${output.text}\n`,
    );
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`error: ${message.split('\n')[0]}\n`);
    return 1;
  } finally {
    await registry.close().catch(() => undefined);
  }
}

function buildProgram(select: (run: Action, options: GlobalOptions) => void): Command {
  const program = new Command('nestjs-elasticjob')
    .description('Inspect and steer the jobs of a nestjs-elasticjob (or ElasticJob Lite) namespace in ZooKeeper.')
    .addOption(
      new Option('--zk <servers>', 'ZooKeeper servers, host:port[,host:port]')
        .env('ELASTICJOB_ZK')
        .default('127.0.0.1:2181'),
    )
    .addOption(
      new Option('--namespace <namespace>', 'the namespace (registryCenter.namespace)').env('ELASTICJOB_NAMESPACE'),
    )
    .addOption(new Option('--digest <user:password>', 'digest credentials of the namespace').env('ELASTICJOB_DIGEST'))
    .option('--json', 'print JSON instead of a table')
    .addOption(
      new Option('--timeout <ms>', 'give up connecting after this long')
        .default(5000)
        .argParser(positiveInteger('--timeout')),
    )
    .allowExcessArguments(false);

  const command = (name: string, description: string) => program.command(name).description(description);
  const bind = (cmd: Command, run: (apis: Apis, args: string[], opts: Record<string, unknown>) => Promise<Output>) =>
    cmd.action((...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      const options = self.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
      if (!options.namespace) {
        self.error('error: --namespace is required (or ELASTICJOB_NAMESPACE)');
      }
      const args = params.slice(0, -2) as string[];
      select((apis) => run(apis, args, self.opts()), options);
    });

  bind(
    command('jobs', 'list the jobs of the namespace, with their status').option(
      '--server <ip>',
      'only the jobs of this server',
    ),
    async (apis, _args, opts) => {
      const jobs = opts.server
        ? await apis.jobs.getJobsBriefInfo(String(opts.server))
        : await apis.jobs.getAllJobsBriefInfo();
      return {
        json: jobs,
        text: table(
          ['JOB', 'STATUS', 'CRON', 'INSTANCES', 'ITEMS', 'DESCRIPTION'],
          jobs.map((job) => [
            job.jobName,
            job.status,
            job.cron,
            job.instanceCount,
            job.shardingTotalCount,
            job.description,
          ]),
        ),
      };
    },
  );

  bind(command('job', 'one job: its status and configuration').argument('<name>'), async (apis, [name]) => {
    const [brief, configuration] = await Promise.all([
      apis.jobs.getJobBriefInfo(name),
      apis.config.getJobConfiguration(name),
    ]);
    return {
      json: { ...brief, configuration },
      text: `${table(['JOB', 'STATUS', 'INSTANCES'], [[brief.jobName, brief.status, brief.instanceCount]])}\n\n${asYaml(
        configuration,
      )}`,
    };
  });

  bind(
    command('sharding', "a job's sharding items: owner, status, failover").argument('<name>'),
    async (apis, [name]) => {
      const items = await apis.sharding.getShardingInfo(name);
      return {
        json: items,
        text: table(
          ['ITEM', 'STATUS', 'INSTANCE', 'SERVER', 'RUNNING ON', 'FAILOVER'],
          items.map((item) => [
            item.item,
            item.status,
            item.instanceId,
            item.serverIp,
            item.runningInstanceId,
            item.failover ? (item.failoverInstanceId ?? 'queued') : undefined,
          ]),
        ),
      };
    },
  );

  bind(command('servers', 'list the servers of the namespace'), async (apis) => {
    const servers = await apis.servers.getAllServersBriefInfo();
    return {
      json: servers,
      text: table(
        ['SERVER', 'INSTANCES', 'JOBS', 'DISABLED JOBS'],
        servers.map((server) => [server.serverIp, server.instancesNum, server.jobsNum, server.disabledJobsNum]),
      ),
    };
  });

  bind(command('trigger', 'run a job once now on every instance').argument('<name>'), async (apis, [name]) => {
    await apis.operate.trigger(name);
    return done(`Triggered job "${name}".`);
  });

  for (const verb of ['disable', 'enable'] as const) {
    bind(
      command(verb, `${verb} a job (on one server with --server), every job of a server, or one item (--item)`)
        .argument('[name]')
        .option('--server <ip>', 'the server')
        .option('--item <n>', 'one sharding item of the job'),
      async (apis, [name], opts) => {
        const server = opts.server as string | undefined;
        if (opts.item !== undefined) {
          if (name === undefined || server !== undefined) {
            throw new JobOperationError(
              `${verb} --item: give the job name, and no --server (an item is switched on every server)`,
              name,
              'item',
            );
          }
          await apis.items[verb](name, opts.item as never);
          return done(`${verb === 'disable' ? 'Disabled' : 'Enabled'} item ${opts.item} of job "${name}".`);
        }
        await apis.operate[verb](name, server);
        return done(`${verb === 'disable' ? 'Disabled' : 'Enabled'} ${describeTarget(name, server)}.`);
      },
    );
  }

  for (const verb of ['shutdown', 'remove'] as const) {
    bind(
      command(
        verb,
        verb === 'shutdown'
          ? 'stop a job on its instances (of one server with --server)'
          : 'shut down, then remove the server registrations',
      )
        .argument('[name]')
        .option('--server <ip>', 'the server'),
      async (apis, [name], opts) => {
        await apis.operate[verb](name, opts.server as string | undefined);
        return done(
          `${verb === 'shutdown' ? 'Shut down' : 'Removed'} ${describeTarget(name, opts.server as string | undefined)}.`,
        );
      },
    );
  }

  const config = command('config', "read or change a job's configuration");
  bind(
    config.command('get').description('print the configuration as stored (ElasticJob YAML)').argument('<name>'),
    async (apis, [name]) => {
      const configuration = await apis.config.getJobConfiguration(name);
      return { json: configuration, text: asYaml(configuration) };
    },
  );
  bind(
    config
      .command('set')
      .description(
        'change fields (field=value, props.key=value; empty value unsets) or replace it from a YAML/JSON file',
      )
      .argument('<name>')
      .argument('[assignments...]')
      .option('--file <path>', 'the whole configuration, as printed by "config get"'),
    async (apis, [name, ...rest], opts) => {
      const assignments = rest.flat();
      const base = opts.file
        ? readConfigurationFile(name, String(opts.file))
        : await apis.config.getJobConfiguration(name);
      if (!opts.file && assignments.length === 0) {
        throw new JobOperationError(`config set: give field=value pairs or --file`, name, 'config');
      }
      const written = await apis.config.updateJobConfiguration(applyAssignments(name, { ...base, name }, assignments));
      return { json: written, text: `Updated the configuration of job "${name}".` };
    },
  );
  return program;
}

/** A stored configuration in ElasticJob's YAML (fields left out stay out). */
const asYaml = (configuration: JobConfiguration) => toConfigurationYaml(configuration as ResolvedJobConfiguration);

const done = (text: string): Output => ({ json: { ok: true }, text });

const describeTarget = (name?: string, server?: string) =>
  name === undefined
    ? `every job of server ${server}`
    : server === undefined
      ? `job "${name}"`
      : `job "${name}" on server ${server}`;

function positiveInteger(flag: string) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new CommanderError(1, 'nestjs-elasticjob.invalidArgument', `error: ${flag} must be a positive integer`);
    }
    return Number(value);
  };
}

/** A configuration file: ElasticJob's YAML (as `config get` prints it) or JSON with this library's field names. */
function readConfigurationFile(jobName: string, path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ElasticJobError(`config set --file: cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = (() => {
    try {
      return parse(text);
    } catch {
      return undefined;
    }
  })();
  if (parsed && typeof parsed === 'object' && 'name' in parsed) {
    return parsed;
  }
  return fromConfigurationYaml(jobName, text);
}
