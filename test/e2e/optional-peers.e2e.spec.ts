import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

// @nestjs/terminus, pg and prom-client are optional peer dependencies: an application without them must be able to
// load the package's root entry point (at run time, and its type declarations at compile time); only the subpath that
// needs one of them (`nestjs-elasticjob/terminus`) may fail, saying what to install.
const ROOT = resolve(__dirname, '../..');
const BUILD = join(ROOT, '.build/lib');
const OPTIONAL_PEERS = ['@nestjs/terminus', 'pg', 'prom-client'];

/**
 * Runs `body` in a fresh Node process where the optional peers cannot be resolved, as when they are not installed:
 * `require` throws Node's own MODULE_NOT_FOUND for them and their subpaths. The process prints one JSON line.
 */
function withoutOptionalPeers(body: string): any {
  const script = `
    const Module = require('node:module');
    const blocked = ${JSON.stringify(OPTIONAL_PEERS)};
    const resolveFilename = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (blocked.some((name) => request === name || request.startsWith(name + '/'))) {
        const error = new Error("Cannot find module '" + request + "'");
        error.code = 'MODULE_NOT_FOUND';
        throw error;
      }
      return resolveFilename.call(this, request, ...rest);
    };
    const outcome = (load) => {
      try {
        return { exports: Object.keys(load()) };
      } catch (error) {
        return { error: String(error && error.message), name: error && error.name };
      }
    };
    ${body}
  `;
  const child = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (child.status !== 0) {
    throw new Error(`the child process failed (${child.status ?? child.signal}): ${child.stderr}`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

/** The module specifiers a declaration file refers to: imports, re-exports, `import()` types, references. */
function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\/\/\/\s*<reference\s+types\s*=\s*['"]([^'"]+)['"]/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]));
}

/** Every declaration file reachable from `entry` through relative imports, with the packages each one names. */
function declarationGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) {
      continue;
    }
    const found = specifiers(readFileSync(file, 'utf8'));
    graph.set(
      file,
      found.filter((specifier) => !specifier.startsWith('.')),
    );
    for (const specifier of found.filter((s) => s.startsWith('.'))) {
      const base = resolve(dirname(file), specifier.replace(/\.js$/, ''));
      const target = [`${base}.d.ts`, join(base, 'index.d.ts')].find((candidate) => existsSync(candidate));
      if (!target) {
        throw new Error(`${relative(ROOT, file)}: cannot resolve ${specifier}`);
      }
      pending.push(target);
    }
  }
  return graph;
}

const isOptionalPeer = (specifier: string) =>
  OPTIONAL_PEERS.some((name) => specifier === name || specifier.startsWith(`${name}/`));

/** The files of `graph` that name an optional peer, with the peers they name. */
const peerReferences = (graph: Map<string, string[]>, root: string) =>
  [...graph]
    .map(([file, packages]) => ({ file: relative(root, file), peers: packages.filter(isOptionalPeer) }))
    .filter(({ peers }) => peers.length > 0);

describe('optional peer dependencies (@nestjs/terminus, pg, prom-client)', () => {
  let declarations = '';

  beforeAll(() => {
    if (!existsSync(join(BUILD, 'index.js'))) {
      throw new Error(
        `${BUILD}/index.js is missing: run npx tsc -p tsconfig.apps.json first (the suite's set-up does)`,
      );
    }
    // The declarations as the published build (tsconfig.build.json) emits them.
    declarations = mkdtempSync(join(tmpdir(), 'ej-dts-'));
    execFileSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        declarations,
        '--declaration',
        '--emitDeclarationOnly',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }, 120_000);
  afterAll(() => {
    if (declarations) {
      rmSync(declarations, { recursive: true, force: true });
    }
  });

  it('the root entry point loads without them; nestjs-elasticjob/terminus fails saying what to install', () => {
    const result = withoutOptionalPeers(`
      const root = outcome(() => require(${JSON.stringify(join(BUILD, 'index.js'))}));
      const terminus = outcome(() => require(${JSON.stringify(join(BUILD, 'terminus/index.js'))}));
      console.log(JSON.stringify({ root, terminus }));
    `);
    expect(result.root.error).toBeUndefined();
    expect(result.root.exports).toEqual(
      expect.arrayContaining(['ElasticJobModule', 'ElasticJob', 'InstanceStatusApi', 'ZookeeperRegistryCenter']),
    );
    expect(result.terminus).toEqual({
      name: 'ElasticJobError',
      error:
        'nestjs-elasticjob/terminus needs the optional peer dependency @nestjs/terminus (>= 11), which is not installed: npm i @nestjs/terminus',
    });
  });

  it('nestjs-elasticjob/terminus loads when @nestjs/terminus is installed', () => {
    const child = spawnSync(
      process.execPath,
      ['-e', `console.log(Object.keys(require(${JSON.stringify(join(BUILD, 'terminus/index.js'))})).join(','))`],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout.trim().split(',').sort()).toEqual(['ElasticJobHealthIndicator', 'ElasticJobTerminusModule']);
  });

  it('nestjs-elasticjob/terminus fails naming the version when @nestjs/terminus is older than 11', () => {
    const manifest = join(declarations, 'terminus-10.package.json');
    writeFileSync(manifest, JSON.stringify({ name: '@nestjs/terminus', version: '10.2.3' }));
    const script = `
      const Module = require('node:module');
      const resolveFilename = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        return request === '@nestjs/terminus/package.json'
          ? ${JSON.stringify(manifest)}
          : resolveFilename.call(this, request, ...rest);
      };
      try {
        require(${JSON.stringify(join(BUILD, 'terminus/index.js'))});
        console.log('loaded');
      } catch (error) {
        console.log(error.message);
      }
    `;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(child.stdout.trim()).toBe(
      'nestjs-elasticjob/terminus needs @nestjs/terminus >= 11 (for HealthIndicatorService), but 10.2.3 is installed: npm i @nestjs/terminus@^11',
    );
  });

  it('no declaration reachable from the root index.d.ts names them', () => {
    const graph = declarationGraph(join(declarations, 'index.d.ts'));
    // The walk reaches the module and the interfaces (so an empty result below means something).
    expect([...graph.keys()].map((file) => relative(declarations, file))).toEqual(
      expect.arrayContaining(['index.d.ts', 'elastic-job.module.d.ts', 'interfaces/index.d.ts']),
    );
    expect(peerReferences(graph, declarations)).toEqual([]);
  });

  it('the terminus declarations do name @nestjs/terminus (the walk sees such references)', () => {
    const graph = declarationGraph(join(declarations, 'terminus/index.d.ts'));
    expect(peerReferences(graph, declarations)).toEqual(
      expect.arrayContaining([{ file: 'terminus/elastic-job.health.d.ts', peers: ['@nestjs/terminus'] }]),
    );
  });
});
