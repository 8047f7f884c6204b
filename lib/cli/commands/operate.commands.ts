import { JobOperationError } from '../../errors';
import { Commands } from '../cli.command';
import { Output } from '../cli.output';

/** `trigger`, `disable`, `enable`, `shutdown` and `remove`: steering a job, a server's jobs, or one item. */
export function addOperateCommands({ command, bind }: Commands): void {
  bind(
    command('trigger', 'run a job once now on every instance')
      .argument('<name>')
      .option('--param <value>', "that run's jobParameter (default: the configured one)"),
    async (apis, [name], opts) => {
      const jobParameter = opts.param as string | undefined;
      await apis.operate.trigger(name, { jobParameter });
      return done(
        `Triggered job "${name}"${jobParameter === undefined ? '' : ` with jobParameter ${JSON.stringify(jobParameter)}`}.`,
      );
    },
  );

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
}

const done = (text: string): Output => ({ json: { ok: true }, text });

const describeTarget = (name?: string, server?: string) =>
  name === undefined
    ? `every job of server ${server}`
    : server === undefined
      ? `job "${name}"`
      : `job "${name}" on server ${server}`;
