import { AppProcess } from '../../test/support/app-process';

/** A run as a peer's worker process reports it (its `run` event). */
export interface PeerRun {
  /** The scheduled fire time (epoch ms). */
  fire: number;
  /** When the handler started (epoch ms). */
  at: number;
  pid: number;
  jobId: string;
  /** The run made long on purpose (the failover measurement). */
  long: boolean;
  /** Attempts before this one (pg-boss). */
  retryCount?: number;
}

/** Every run the worker processes have reported so far. */
export function peerRunsOf(workers: AppProcess[]): PeerRun[] {
  return workers.flatMap((worker) =>
    worker.of('run').map((e) => ({
      fire: Number(e.fire),
      at: Number(e.at),
      pid: Number(e.pid),
      jobId: String(e.jobId),
      long: e.long === true,
      retryCount: e.retryCount === undefined ? undefined : Number(e.retryCount),
    })),
  );
}
