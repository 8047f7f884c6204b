import Table from 'cli-table3';
import { toConfigurationYaml } from '../config';
import { JobConfiguration, ResolvedJobConfiguration } from '../interfaces';

/** What a command prints: a value for `--json`, and the text otherwise. */
export interface Output {
  json: unknown;
  text: string;
}

/** One cell of a table; `undefined` prints as `-`. */
export type Cell = string | number | boolean | undefined;

/** What goes to stdout: the JSON (with `--json`) or the text, ending with a newline. */
export function formatOutput(output: Output, json?: boolean): string {
  return json
    ? `${JSON.stringify(output.json, null, 2)}\n`
    : output.text.endsWith('\n')
      ? output.text
      : `${output.text}\n`;
}

/** What goes to stderr when a command fails: the first line of the error's message. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message.split('\n')[0]}\n`;
}

/** A list: itself for `--json`, a table of one row per element otherwise. */
export function listing<T>(items: T[], head: string[], row: (item: T) => Cell[]): Output {
  return { json: items, text: table(head, items.map(row)) };
}

/** A stored configuration in ElasticJob's YAML (fields left out stay out). */
export const asYaml = (configuration: JobConfiguration) =>
  toConfigurationYaml(configuration as ResolvedJobConfiguration);

/** A borderless, aligned table (what `kubectl get` prints): readable in a terminal, easy to grep. */
export function table(head: string[], rows: Cell[][]): string {
  const output = new Table({
    head,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  output.push(...rows.map((row) => row.map((cell) => (cell === undefined ? '-' : String(cell)))));
  return output
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
