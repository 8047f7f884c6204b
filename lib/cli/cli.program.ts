import { Logger } from '@nestjs/common';
import { Command, CommanderError } from 'commander';
import { Action, commandsOf } from './cli.command';
import { createApis, registryOf } from './cli.connection';
import { createProgram, GlobalOptions } from './cli.options';
import { errorLine, formatOutput } from './cli.output';
import { addConfigCommands, addJobCommands, addOperateCommands, addServerCommands } from './commands';

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
  const registry = registryOf(options);
  try {
    await registry.connect();
    const output = await run(createApis(registry), options);
    io.out(formatOutput(output, options.json));
    return 0;
  } catch (error) {
    io.err(errorLine(error));
    return 1;
  } finally {
    await registry.close().catch(() => undefined);
  }
}

/** The program, its commands in the order `--help` lists them. */
function buildProgram(select: (run: Action, options: GlobalOptions) => void): Command {
  const program = createProgram();
  const commands = commandsOf(program, select);
  addJobCommands(commands);
  addServerCommands(commands);
  addOperateCommands(commands);
  addConfigCommands(commands);
  return program;
}
