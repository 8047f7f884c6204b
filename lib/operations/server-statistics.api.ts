import { ipOf, JobNodePath } from '../storage';
import { Inject, Injectable } from '@nestjs/common';
import { SERVER_DISABLED } from '../server';
import { ServerBriefInfo } from '../interfaces';
import { RegistryCenter } from '../registry-center';
import { mapConcurrently } from '../utils';
import { NamespaceReader, READ_CONCURRENCY } from './namespace.reader';

/** The servers (IP addresses) of the namespace at a glance (ElasticJob's `ServerStatisticsAPI`). */
@Injectable()
export class ServerStatisticsApi {
  private readonly reader: NamespaceReader;

  constructor(@Inject(NamespaceReader) reader: NamespaceReader | RegistryCenter) {
    this.reader = NamespaceReader.of(reader);
  }

  /** How many servers have a job registered. */
  async getServersTotalCount(): Promise<number> {
    return (await this.getAllServersBriefInfo()).length;
  }

  /** Every server, by IP address: its instances, its jobs and how many of them are disabled on it. */
  async getAllServersBriefInfo(): Promise<ServerBriefInfo[]> {
    const { registry } = this.reader;
    const servers = new Map<string, { instances: Set<string>; jobNames: Set<string>; disabled: number }>();
    const serverOfIp = (ip: string) => {
      let server = servers.get(ip);
      if (!server) {
        servers.set(ip, (server = { instances: new Set(), jobNames: new Set(), disabled: 0 }));
      }
      return server;
    };
    const jobs = await mapConcurrently(await this.reader.jobNames(), READ_CONCURRENCY, async (job) => {
      const paths = new JobNodePath(job);
      const ips = await registry.getChildren(paths.servers);
      const [switches, instances] = await Promise.all([
        Promise.all(ips.map((ip) => registry.get(paths.server(ip)))),
        registry.getChildren(paths.instances),
      ]);
      return { job, ips, switches, instances };
    });
    for (const { job, ips, switches, instances } of jobs) {
      ips.forEach((ip, index) => {
        const server = serverOfIp(ip);
        server.jobNames.add(job);
        server.disabled += switches[index] === SERVER_DISABLED ? 1 : 0;
      });
      instances.forEach((instance) => serverOfIp(ipOf(instance)).instances.add(instance));
    }
    return [...servers.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([serverIp, { instances, jobNames, disabled }]) => ({
        serverIp,
        instances: [...instances].sort(),
        jobNames: [...jobNames].sort(),
        instancesNum: instances.size,
        jobsNum: jobNames.size,
        disabledJobsNum: disabled,
      }));
  }
}
