import Table from 'cli-table3';

/** A borderless, aligned table (what `kubectl get` prints): readable in a terminal, easy to grep. */
export function table(head: string[], rows: Array<Array<string | number | boolean | undefined>>): string {
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
