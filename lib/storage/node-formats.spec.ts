import { formatTriggerRequests, parseRunningMarker, parseTriggerRequests } from './node-formats';

describe('the data of a trigger node', () => {
  it('holds the queued triggers, each with its parameter, and reads back what it wrote', () => {
    const requests = [
      { fireTime: 1000 },
      { fireTime: 2000, jobParameter: 'date=2026-11-30' },
      { fireTime: 3000, jobParameter: '' },
    ];
    expect(parseTriggerRequests(formatTriggerRequests(requests), 1)).toEqual(requests);
  });

  it('reads what earlier writers and ElasticJob write as one trigger with the configured parameter', () => {
    expect(parseTriggerRequests('1764547200000', 5)).toEqual([{ fireTime: 1764547200000 }]);
    expect(parseTriggerRequests('', 5)).toEqual([{ fireTime: 5 }]);
    expect(parseTriggerRequests(null, 5)).toEqual([{ fireTime: 5 }]);
    expect(parseTriggerRequests('[not json', 5)).toEqual([{ fireTime: 5 }]);
    expect(parseTriggerRequests('[{"jobParameter":3}]', 5)).toEqual([{ fireTime: 5 }]);
  });
});

describe('the data of a running marker', () => {
  it("reads this module's markers and ElasticJob's (the instance id alone), and nothing else", () => {
    expect(parseRunningMarker('10.0.0.1@-@42 1000abc 1700000000000')).toEqual({
      instanceId: '10.0.0.1@-@42',
      sessionId: '1000abc',
      fireTime: 1700000000000,
    });
    expect(parseRunningMarker('192.168.1.7@-@4242')).toEqual({
      instanceId: '192.168.1.7@-@4242',
      sessionId: '',
      fireTime: 0,
    });
    expect(parseRunningMarker('')).toBeUndefined();
    expect(parseRunningMarker(null)).toBeUndefined();
    expect(parseRunningMarker('garbage')).toBeUndefined();
  });
});
