import { join } from 'node:path';
import { JobOverride } from '../lib';

/**
 * Jobs the sample declares by configuration alone, without code: what a team keeps in `.env` or YAML. Values from the
 * environment may be strings (`ARCHIVE_SHARDS=4`).
 */
export function configuredJobs(env: NodeJS.ProcessEnv = process.env): Record<string, JobOverride> {
  return {
    'archive-logs': {
      elasticJobType: 'SCRIPT',
      cron: env.ARCHIVE_CRON ?? '0/10 * * * * ?',
      shardingTotalCount: (env.ARCHIVE_SHARDS ?? 2) as number,
      shardingItemParameters: '0=app,1=audit',
      description: 'Archive the logs of every kind',
      props: {
        // The script is not compiled: it stays beside the sources (this file runs from .build/sample-app).
        'script.command.line': env.ARCHIVE_COMMAND ?? join(__dirname, '../../sample-app/archive-logs.sh'),
        'script.timeout.milliseconds': '5000',
      },
    },
    'notify-partners': {
      elasticJobType: 'HTTP',
      cron: env.NOTIFY_CRON ?? '2/10 * * * * ?',
      shardingTotalCount: 2,
      shardingItemParameters: '0=acme,1=globex',
      description: 'Tell the partners that the day is settled',
      props: {
        'http.uri': env.PARTNER_WEBHOOK_URI ?? 'http://127.0.0.1:8080/partners/notify',
        'http.method': 'POST',
        'http.data': '{"event":"settled"}',
        'http.content.type': 'application/json',
        'retry.max.attempts': '2',
        'retry.backoff.milliseconds': '500',
      },
    },
  };
}
