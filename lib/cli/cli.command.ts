import { Command } from 'commander';
import { Apis } from './cli.connection';
import { GlobalOptions } from './cli.options';
import { Output } from './cli.output';

/** A parsed command, ready to run once connected. */
export type Action = (apis: Apis, options: GlobalOptions) => Promise<Output>;

/** What a command does: its arguments (in order) and its own options in, what it prints out. */
export type CommandRun = (apis: Apis, args: string[], opts: Record<string, unknown>) => Promise<Output>;

/** How the command definitions add themselves to the program. */
export interface Commands {
  /** Adds a top-level command. */
  command(name: string, description: string): Command;
  /** Makes `cmd` (a command or a subcommand) hand its run to the program once parsed. */
  bind(cmd: Command, run: CommandRun): void;
}

/**
 * The commands of `program`: a bound command, when parsed, checks that a namespace is given and passes its run and
 * the global options to `select` (the program connects only after parsing).
 */
export function commandsOf(program: Command, select: (run: Action, options: GlobalOptions) => void): Commands {
  return {
    command: (name, description) => program.command(name).description(description),
    bind: (cmd, run) => {
      cmd.action((...params: unknown[]) => {
        const self = params[params.length - 1] as Command;
        const options = self.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
        if (!options.namespace) {
          self.error('error: --namespace is required (or ELASTICJOB_NAMESPACE)');
        }
        const args = params.slice(0, -2) as string[];
        select((apis) => run(apis, args, self.opts()), options);
      });
    },
  };
}
