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
