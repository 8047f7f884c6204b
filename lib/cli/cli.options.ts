import { Command, CommanderError, Option } from 'commander';

/** The options every command takes: where the namespace is, how to reach it, and how to print. */
export interface GlobalOptions {
  zk: string;
  namespace?: string;
  digest?: string;
  json?: boolean;
  timeout: number;
}

/** The program with its global options (each also read from its environment variable), before any command. */
export function createProgram(): Command {
  return new Command('nestjs-elasticjob')
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
}

function positiveInteger(flag: string) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new CommanderError(1, 'nestjs-elasticjob.invalidArgument', `error: ${flag} must be a positive integer`);
    }
    return Number(value);
  };
}
