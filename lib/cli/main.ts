#!/usr/bin/env node
import { runCli } from './cli.program';

// Exits as soon as the output is written: the ZooKeeper client may keep timers alive for a while after closing.
runCli(process.argv, { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) }).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (error) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
