import type { NodeData, NodeStat } from './registry-center.interface';
import { hasCode } from './registry-center.error';

/** The registry center's operations that writing an ephemeral node takes (paths relative to the namespace). */
export interface EphemeralWriter {
  createEphemeral(path: string, data: string): Promise<unknown>;
  getNode(path: string): Promise<NodeData | null>;
  /** Deletes the node, whatever its version; a missing node is not an error. */
  delete(path: string): Promise<unknown>;
}

/**
 * This process's ephemeral nodes (written by `persistEphemeral`) with their data, so that a new session replacing an
 * expired one writes them again.
 */
export class EphemeralNodes {
  private readonly nodes = new Map<string, string>();

  constructor(private readonly writer: EphemeralWriter) {}

  /** Creates or replaces the node, and keeps it for the next sessions. */
  persist(path: string, data: string): Promise<NodeStat> {
    this.nodes.set(path, data);
    return this.write(path, data);
  }

  /** Stops keeping `path` (with `recursive`, every node under it too). */
  forget(path: string, recursive = false): void {
    this.nodes.delete(path);
    if (recursive) {
      for (const key of this.nodes.keys()) {
        if (key.startsWith(`${path}/`)) {
          this.nodes.delete(key);
        }
      }
    }
  }

  /** Writes every kept node again, in a new session. */
  async restore(): Promise<void> {
    for (const [path, data] of this.nodes) {
      await this.write(path, data);
    }
  }

  private async write(path: string, data: string): Promise<NodeStat> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.writer.createEphemeral(path, data);
        const node = await this.writer.getNode(path);
        if (node) {
          return node.stat;
        }
      } catch (error) {
        if (!hasCode(error, 'NODE_EXISTS') || attempt >= 3) {
          throw error;
        }
        // Left by an earlier session of ours (or another owner): replace it.
        await this.writer.delete(path);
      }
    }
  }
}
