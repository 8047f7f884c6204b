import { JobOperationError } from '../errors';
import { applyAssignments } from './config-assignments';

describe('applyAssignments (config set)', () => {
  const base = { name: 'settle', cron: '* * * * * ?', shardingTotalCount: 3, props: { a: '1' } };

  it('types values by field, sets and unsets props, and unsets optional strings with an empty value', () => {
    expect(
      applyAssignments('settle', base, [
        'cron=0/5 * * * * ?',
        'shardingTotalCount=5',
        'failover=true',
        'misfire=false',
        'maxTimeDiffSeconds=-1',
        'props.b=x=y',
        'props.a=',
        'jobListenerTypes=audit,metrics',
        'description=',
      ]),
    ).toEqual({
      name: 'settle',
      cron: '0/5 * * * * ?',
      shardingTotalCount: 5,
      failover: true,
      misfire: false,
      maxTimeDiffSeconds: -1,
      props: { b: 'x=y' },
      jobListenerTypes: ['audit', 'metrics'],
      description: undefined,
    });
    expect(base.props).toEqual({ a: '1' });
  });

  it.each([
    ['failover=yes', 'failover', 'must be true or false'],
    ['shardingTotalCount=three', 'shardingTotalCount', 'must be an integer'],
    ['colour=blue', 'colour', 'unknown field "colour"'],
    ['=3', 'config', 'expected field=value'],
    ['cron', 'config', 'expected field=value'],
  ])('rejects %s naming the job and the field', (assignment, field, reason) => {
    const error = (() => {
      try {
        applyAssignments('settle', base, [assignment]);
      } catch (caught) {
        return caught as JobOperationError;
      }
    })();
    expect(error).toBeInstanceOf(JobOperationError);
    expect(error!.message).toContain(`Job "settle": "${assignment}": ${reason}`);
    expect(error!.field).toBe(field);
  });
});
