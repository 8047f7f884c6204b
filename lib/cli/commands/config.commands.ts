import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fromConfigurationYaml, unmanagedFields } from '../../config';
import { ElasticJobError, JobOperationError } from '../../errors';
import { Commands } from '../cli.command';
import { asYaml } from '../cli.output';
import { applyAssignments } from '../config-assignments';

/** `config get` and `config set`: a job's configuration, as stored, and changes to it. */
export function addConfigCommands({ command, bind }: Commands): void {
  const config = command('config', "read or change a job's configuration");
  bind(
    config.command('get').description('print the configuration as stored (ElasticJob YAML)').argument('<name>'),
    async (apis, [name]) => {
      const [configuration, stored] = await Promise.all([
        apis.config.getJobConfiguration(name),
        apis.config.getJobConfigurationYaml(name),
      ]);
      // With the fields ElasticJob stores that this module does not manage (kept as they are by "config set").
      const all = { ...configuration, ...unmanagedFields(stored) };
      return { json: all, text: asYaml(all) };
    },
  );
  bind(
    config
      .command('set')
      .description(
        'change fields (field=value, props.key=value; empty value unsets) or replace it from a YAML/JSON file',
      )
      .argument('<name>')
      .argument('[assignments...]')
      .option('--file <path>', 'the whole configuration, as printed by "config get"'),
    async (apis, [name, ...rest], opts) => {
      const assignments = rest.flat();
      const base = opts.file
        ? readConfigurationFile(name, String(opts.file))
        : await apis.config.getJobConfiguration(name);
      if (!opts.file && assignments.length === 0) {
        throw new JobOperationError(`config set: give field=value pairs or --file`, name, 'config');
      }
      const written = await apis.config.updateJobConfiguration(applyAssignments(name, { ...base, name }, assignments));
      return { json: written, text: `Updated the configuration of job "${name}".` };
    },
  );
}

/** A configuration file: ElasticJob's YAML (as `config get` prints it) or JSON with this library's field names. */
function readConfigurationFile(jobName: string, path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ElasticJobError(`config set --file: cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = (() => {
    try {
      return parse(text);
    } catch {
      return undefined;
    }
  })();
  if (parsed && typeof parsed === 'object' && 'name' in parsed) {
    return parsed;
  }
  return fromConfigurationYaml(jobName, text);
}
