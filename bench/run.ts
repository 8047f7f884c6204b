import Table from 'cli-table3';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { TracingRow } from './scenarios/tracing-queries';
import { BenchRow } from './support/bench-row';

/**
 * The benchmark runner: every scenario of `bench/scenarios`, one after the other in its own processes on this machine,
 * so that the ratios between this project and its peers are taken under the same conditions. Prints the tables and
 * writes them to bench/RESULTS.md (a full run) or bench/RESULTS.quick.md (`--quick`, under 5 minutes on 2 cores).
 *
 *   npm run bench
 *   npm run bench -- --quick
 */
const quick = process.argv.includes('--quick');
const SCENARIOS = ['zk-ceiling', 'lateness', 'elasticity', 'bullmq', 'pg-boss', 'tracing'];
const RESULTS = join(__dirname, '../../bench', quick ? 'RESULTS.quick.md' : 'RESULTS.md');
const BEGIN = '<!-- npm run bench: begin -->';
const END = '<!-- npm run bench: end -->';

interface Outcome {
  name: string;
  rows: BenchRow[];
  seconds: number;
  error?: string;
}

function runScenario(name: string): Promise<Outcome> {
  const started = Date.now();
  process.stderr.write(`\n== ${name}\n`);
  const child = spawn(
    process.execPath,
    ['--expose-gc', join(__dirname, 'scenarios', `${name}.js`), ...(quick ? ['--quick'] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      const last = stdout.trimEnd().split('\n').pop() ?? '';
      try {
        const { rows } = JSON.parse(last) as { rows: BenchRow[] };
        resolve({ name, rows, seconds });
      } catch {
        resolve({ name, rows: [], seconds, error: `exited with ${code}: ${last.slice(0, 200)}` });
      }
    }),
  );
}

type Column = [header: string, cell: (row: BenchRow, all: BenchRow[]) => unknown];

const num = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? '' : value.toLocaleString('en', { maximumFractionDigits: digits });

/** p99 of this row over the p99 of `@nestjs/schedule` with the same jobs and instances. */
const ratio = (row: BenchRow, all: BenchRow[]) => {
  const floor = all.find(
    (other) =>
      other.system === '@nestjs/schedule' &&
      other.section === row.section &&
      other.jobs === row.jobs &&
      other.instances === row.instances,
  );
  return row.system === '@nestjs/schedule' || !floor?.p99 || row.p99 === undefined
    ? ''
    : `${(row.p99 / floor.p99).toFixed(2)}x`;
};

const audit: Column[] = [
  ['runs', (r) => num(r.runs)],
  ['expected', (r) => num(r.expected)],
  ['duplicates', (r) => num(r.duplicates)],
  ['misses', (r) => num(r.misses)],
];

const lateness: Column[] = [
  ['system', (r) => r.system],
  ['setup', (r) => r.setup],
  ['fires', (r) => r.fires],
  ['p50 ms', (r) => num(r.p50, 1)],
  ['p99 ms', (r) => num(r.p99, 1)],
  ['max ms', (r) => num(r.max, 1)],
];

const TABLES: Array<{ title: string; pick: (row: BenchRow) => boolean; columns: Column[] }> = [
  {
    title: 'Trigger lateness (fire time to handler start), 1-second cron',
    pick: (r) => r.section === 'lateness',
    columns: [...lateness, ['p99 vs @nestjs/schedule', ratio], ...audit],
  },
  {
    title: 'Scale and memory (one process)',
    pick: (r) => r.section === 'lateness' && r.instances === 1,
    columns: [
      ['system', (r) => r.system],
      ['setup', (r) => r.setup],
      ['start-up ms', (r) => num(r.startupMs)],
      ['heap KB/job', (r) => num(r.heapKbPerJob, 2)],
      ['RSS MB/1,000 jobs', (r) => num(r.rssMbPer1000Jobs, 1)],
      ['loop delay p99 ms', (r) => num(r.loopDelayP99, 1)],
    ],
  },
  {
    title: 'Coordination cost (ZooKeeper counters, `mntr`)',
    pick: (r) => r.section === 'coordination' || (r.section === 'lateness' && r.zkWritesPerItemFire !== undefined),
    columns: [
      ['system', (r) => r.system],
      ['setup', (r) => r.setup],
      ['writes/item/fire', (r) => num(r.zkWritesPerItemFire, 2)],
      ['reads/item/fire', (r) => num(r.zkReadsPerItemFire, 2)],
      ['writes/s', (r) => num(r.writesPerSecond)],
    ],
  },
  {
    title: 'Elasticity and failover',
    pick: (r) => r.section === 'elasticity' || r.section === 'failover',
    columns: [
      ['system', (r) => r.system],
      ['setup', (r) => r.setup],
      ['ms', (r) => num(r.effectMs)],
      ...audit,
      ['note', (r) => r.note ?? ''],
    ],
  },
  {
    title: 'Distributed single-run scheduling: peers (3 worker processes, one job)',
    pick: (r) => r.section === 'peers',
    columns: [...lateness, ...audit, ['note', (r) => r.note ?? '']],
  },
  {
    title: 'Cost of tracing on the fire path (1-second cron, one instance, monitorExecution off)',
    pick: (r) => r.section === 'tracing',
    columns: [
      ['setup', (r) => r.setup],
      ['fires', (r) => r.fires],
      ['p50 ms', (r) => num(r.p50, 1)],
      ['p99 ms', (r) => num(r.p99, 1)],
      ['max ms', (r) => num(r.max, 1)],
      ['loop delay p99 ms', (r) => num(r.loopDelayP99, 1)],
      ['CPU ms/s', (r: TracingRow) => num(r.cpuMsPerSecond)],
      ...audit,
      ['traced runs', (r: TracingRow) => num(r.tracedRuns)],
      ['status rows', (r: TracingRow) => num(r.statusRows)],
      ['events dropped', (r: TracingRow) => num(r.eventsDropped)],
      ['note', (r) => r.note ?? ''],
    ],
  },
  {
    title: 'Tracing queries: `EventTraceHistoryApi.findJobExecutionEvents` (its count and its page), PostgreSQL',
    pick: (r) => r.section === 'tracing-query',
    columns: [
      ['query', (r) => r.setup],
      ['table rows', (r: TracingRow) => num(r.tableRows)],
      ['matched', (r: TracingRow) => num(r.matched)],
      ['runs', (r: TracingRow) => num(r.samples)],
      ['p50 ms', (r) => num(r.p50, 1)],
      ['p99 ms', (r) => num(r.p99, 1)],
      ['max ms', (r) => num(r.max, 1)],
      ['target', (r: TracingRow) => (r.targetMs === undefined ? '' : `p99 < ${r.targetMs} ms`)],
      ['met', (r: TracingRow) => (r.targetMs === undefined ? '' : r.p99! < r.targetMs ? 'met' : 'NOT met')],
      ['note', (r) => r.note ?? ''],
    ],
  },
];

/** Long notes go under the table as numbered footnotes, so that the columns stay readable. */
function withFootnotes(columns: Column[], rows: BenchRow[]): { columns: Column[]; notes: string[] } {
  const notes: string[] = [];
  const numbered = new Map<BenchRow, number>();
  for (const row of rows) {
    if (row.note) {
      notes.push(row.note);
      numbered.set(row, notes.length);
    }
  }
  return {
    columns: columns.map(([header, cell]): Column =>
      header === 'note' ? [header, (row) => (numbered.has(row) ? `[${numbered.get(row)}]` : '')] : [header, cell],
    ),
    notes: notes.map((note, index) => `[${index + 1}] ${note}`),
  };
}

function terminalTable(columns: Column[], rows: BenchRow[], all: BenchRow[]): string {
  const { columns: shown, notes } = withFootnotes(columns, rows);
  const table = new Table({ head: shown.map(([header]) => header), style: { head: [], border: [] } });
  table.push(...rows.map((row) => shown.map(([, cell]) => String(cell(row, all) ?? ''))));
  return [table.toString(), ...notes].join('\n');
}

function markdownTable(columns: Column[], rows: BenchRow[], all: BenchRow[]): string {
  const { columns: shown, notes } = withFootnotes(columns, rows);
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  return [
    `| ${shown.map(([header]) => header).join(' | ')} |`,
    `|${shown.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${shown.map(([, cell]) => escape(String(cell(row, all) ?? ''))).join(' | ')} |`),
    ...(notes.length > 0 ? ['', ...notes.map((note) => `${note}  `)] : []),
  ].join('\n');
}

/** The issue's targets, each with what this run measured. */
function targets(all: BenchRow[]): string[][] {
  const ours = (pick: (r: BenchRow) => boolean) => all.find((r) => r.system === 'nestjs-elasticjob' && pick(r));
  const lateness = (jobs: number) =>
    ours((r) => r.section === 'lateness' && r.jobs === jobs && r.instances === 1 && r.setup.includes('off'));
  const check = (
    target: string,
    row: BenchRow | undefined,
    value: (r: BenchRow) => number,
    limit: number,
    unit = '',
  ) =>
    row ? [target, `${num(value(row), 2)}${unit}`, value(row) <= limit ? 'met' : 'NOT met'] : [target, 'not run', ''];
  const ceiling = all.find((r) => r.system === 'ZooKeeper')?.writesPerSecond;
  const monitored = ours(
    (r) => r.section === 'lateness' && r.setup.includes('monitorExecution on') && (r.jobs ?? 0) >= 100,
  );
  const elastic = ours((r) => r.section === 'elasticity' && r.expected !== undefined);
  const failovers = all.filter((r) => r.system === 'nestjs-elasticjob' && r.section === 'failover');
  const history = ours(
    (r) => r.section === 'tracing-query' && r.setup.startsWith("one job's last 100 executions ("),
  ) as TracingRow | undefined;
  return [
    check('lateness p99 <= 20 ms at 1,000 jobs (monitorExecution off)', lateness(1_000), (r) => r.p99!, 20, ' ms'),
    check('lateness p99 <= 50 ms at 10,000 jobs (monitorExecution off)', lateness(10_000), (r) => r.p99!, 50, ' ms'),
    check('heap <= 10 KB per job (1,000 jobs)', lateness(1_000), (r) => r.heapKbPerJob!, 10, ' KB'),
    check('heap <= 10 KB per job (10,000 jobs)', lateness(10_000), (r) => r.heapKbPerJob!, 10, ' KB'),
    check('10,000 jobs registered in <= 30 s', lateness(10_000), (r) => r.startupMs! / 1000, 30, ' s'),
    check('<= 2 ZooKeeper writes per item per fire, monitorExecution on', monitored, (r) => r.zkWritesPerItemFire!, 2),
    [
      '1,000 jobs x 1 item on a 1-second cron, monitorExecution on: writes/s needed vs the ceiling',
      monitored && ceiling
        ? `${num(monitored.zkWritesPerItemFire! * 1000)} of ${num(ceiling)} (${(
            ((monitored.zkWritesPerItemFire! * 1000) / ceiling) *
            100
          ).toFixed(0)}%)`
        : 'not run',
      monitored && ceiling ? (monitored.zkWritesPerItemFire! * 1000 < ceiling ? 'below' : 'NOT below') : '',
    ],
    ...failovers.map((row) => {
      const timeout = Number(/timeout (\d+) s/.exec(row.setup)?.[1]) * 1000;
      return check(
        `kill -9 to re-run <= session timeout + 1 s (${timeout / 1000} s)`,
        row,
        (r) => r.effectMs!,
        timeout + 1000,
        ' ms',
      );
    }),
    [
      `tracing: one job's last 100 executions (with the count) in < 50 ms at ${num(history?.tableRows ?? 1e6)} rows`,
      ...(history ? [`p99 ${num(history.p99, 1)} ms`, history.p99! < 50 ? 'met' : 'NOT met'] : ['not run', '']),
    ],
    elastic
      ? [
          'graceful leave and join with no fire missed',
          `${elastic.misses} missed, ${elastic.duplicates} duplicate of ${elastic.expected}`,
          elastic.misses === 0 && elastic.duplicates === 0 ? 'met' : 'NOT met',
        ]
      : ['graceful leave and join with no fire missed', 'not run', ''],
  ];
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${
    process.version
  }, ZooKeeper 3.8 (Debian package, standalone, started by the benchmark on loopback)`;
}

async function main() {
  const started = Date.now();
  const outcomes: Outcome[] = [];
  for (const name of SCENARIOS) {
    outcomes.push(await runScenario(name));
  }
  const all = outcomes.flatMap((outcome) => outcome.rows);
  const failed = outcomes.filter((outcome) => outcome.error);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const header = `${quick ? 'Quick run' : 'Full run'} of \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date()
    .toISOString()
    .slice(0, 10)}, ${minutes} min. Machine: ${machine()}.`;

  const terminal: string[] = [header];
  const markdown: string[] = [header];
  for (const { title, pick, columns } of TABLES) {
    const rows = all.filter(pick);
    if (rows.length > 0) {
      terminal.push(`\n${title}\n${terminalTable(columns, rows, all)}`);
      markdown.push(`\n### ${title}\n\n${markdownTable(columns, rows, all)}`);
    }
  }
  const goals = targets(all);
  terminal.push(
    `\nTargets\n${(() => {
      const table = new Table({ head: ['target', 'measured', ''], style: { head: [], border: [] } });
      table.push(...goals);
      return table.toString();
    })()}`,
  );
  markdown.push(
    `\n### Targets\n\n| target | measured | |\n|---|---|---|\n${goals.map((g) => `| ${g.join(' | ')} |`).join('\n')}`,
  );
  for (const outcome of failed) {
    terminal.push(`scenario ${outcome.name} FAILED: ${outcome.error}`);
    markdown.push(`\nScenario \`${outcome.name}\` failed: ${outcome.error}`);
  }
  console.log(terminal.join('\n'));

  const block = `${BEGIN}\n${markdown.join('\n')}\n${END}`;
  const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const at = previous.indexOf(BEGIN);
  const until = previous.indexOf(END);
  const text =
    at >= 0 && until > at
      ? `${previous.slice(0, at)}${block}${previous.slice(until + END.length)}`
      : `# Benchmark results\n\n${block}\n`;
  writeFileSync(RESULTS, text);
  console.log(`\nWritten to ${RESULTS}`);
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
