import { Commands } from '../cli.command';
import { listing } from '../cli.output';

/** `servers`: the servers of the namespace. */
export function addServerCommands({ command, bind }: Commands): void {
  bind(command('servers', 'list the servers of the namespace'), async (apis) =>
    listing(await apis.servers.getAllServersBriefInfo(), ['SERVER', 'INSTANCES', 'JOBS', 'DISABLED JOBS'], (server) => [
      server.serverIp,
      server.instancesNum,
      server.jobsNum,
      server.disabledJobsNum,
    ]),
  );
}
