import { Commands } from '../cli.command';
import { asYaml, listing, table } from '../cli.output';

/** `jobs`, `job` and `sharding`: the jobs of the namespace, one job, and a job's sharding items. */
export function addJobCommands({ command, bind }: Commands): void {
  bind(
    command('jobs', 'list the jobs of the namespace, with their status').option(
      '--server <ip>',
      'only the jobs of this server',
    ),
    async (apis, _args, opts) => {
      const jobs = opts.server
        ? await apis.jobs.getJobsBriefInfo(String(opts.server))
        : await apis.jobs.getAllJobsBriefInfo();
      return listing(jobs, ['JOB', 'STATUS', 'CRON', 'INSTANCES', 'ITEMS', 'DESCRIPTION'], (job) => [
        job.jobName,
        job.status,
        job.cron,
        job.instanceCount,
        job.shardingTotalCount,
        job.description,
      ]);
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
    async (apis, [name]) =>
      listing(
        await apis.sharding.getShardingInfo(name),
        ['ITEM', 'STATUS', 'INSTANCE', 'SERVER', 'RUNNING ON', 'FAILOVER'],
        (item) => [
          item.item,
          item.status,
          item.instanceId,
          item.serverIp,
          item.runningInstanceId,
          item.failover ? (item.failoverInstanceId ?? 'queued') : undefined,
        ],
      ),
  );
}
