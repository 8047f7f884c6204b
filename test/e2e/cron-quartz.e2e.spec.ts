import { cronCorpus, CRON_STARTS, CRON_ZONES } from '../cron/cron-corpus';
import { CronCase, compileOracle, moduleAnswer, quartzAnswers } from '../cron/cron-differential';

// The cron engine against Quartz itself (Debian's libquartz2-java, ElasticJob's engine), run by a small Java program:
// for every expression of the corpus, in every zone, from every start time, both must agree on whether it is valid
// and on the next three fire times. The one deliberate difference: 5-field Unix expressions, which Quartz refuses and
// this module accepts (and stores in Quartz's form).
const FIRES = 3;

describe('cron: the same answers as Quartz', () => {
  it('agrees with Quartz on validity and fire times over the corpus, zones and start times', () => {
    const corpus = cronCorpus(3200);
    const cases: CronCase[] = corpus.flatMap((expression) =>
      CRON_ZONES.flatMap((zone) => CRON_STARTS.map((start) => ({ expression, zone, start }))),
    );
    const quartz = quartzAnswers(compileOracle(), cases, FIRES);
    expect(quartz).toHaveLength(cases.length);
    const disagreements: string[] = [];
    const deliberate = new Set<string>();
    cases.forEach((c, i) => {
      const ours = moduleAnswer(c, FIRES);
      if (ours === quartz[i]) {
        return;
      }
      if (c.expression.trim().split(/\s+/).length === 5 && quartz[i] === 'invalid') {
        deliberate.add(c.expression);
        return;
      }
      disagreements.push(
        `${c.expression} in ${c.zone} after ${new Date(c.start).toISOString()}: Quartz ${quartz[i]}, here ${ours}`,
      );
    });
    const valid = new Set(cases.filter((_, i) => quartz[i] !== 'invalid').map((c) => c.expression));
    process.stdout.write(
      `cron vs Quartz: ${corpus.length} expressions (${valid.size} valid for Quartz) x ${CRON_ZONES.length} zones x ` +
        `${CRON_STARTS.length} start times, ${disagreements.length} disagreements, ${deliberate.size} 5-field expression(s)\n`,
    );
    expect(corpus.length).toBeGreaterThanOrEqual(3000);
    expect(valid.size).toBeGreaterThan(2000);
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(deliberate.size).toBeGreaterThan(0);
  });
});
