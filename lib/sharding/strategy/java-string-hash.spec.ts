import { javaStringHashCode } from './java-string-hash';

/** Independent reference: sum of s[i] * 31^(n-1-i) over UTF-16 code units, reduced to a signed 32-bit int. */
function referenceHash(value: string): number {
  let hash = 0n;
  for (let i = 0; i < value.length; i++) {
    hash = hash * 31n + BigInt(value.charCodeAt(i));
  }
  return Number(BigInt.asIntN(32, hash));
}

describe('javaStringHashCode', () => {
  // Expected values printed by Java 'String.hashCode()' (java.lang.String) for the same strings.
  it.each([
    ['', 0],
    ['a', 97],
    ['hello', 99162322],
    ['0', 48],
    ['1', 49],
    ['2', 50],
    ['3', 51],
    ['Aa', 2112],
    ['BB', 2112],
    ['Hello World', -862545276],
    ['test_job', -1146456432],
    ['a-very-long-job-name-that-overflows-int32-many-times', -905033203],
    ['polygenelubricants', -2147483648],
  ])('hashes %j to %d like Java', (value, expected) => {
    expect(javaStringHashCode(value)).toBe(expected);
  });

  it('hashes UTF-16 code units, not code points', () => {
    // U+1F600 is the surrogate pair \uD83D\uDE00: 0xD83D * 31 + 0xDE00.
    expect(javaStringHashCode('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
    expect(javaStringHashCode('\u{1F600}')).toBe(1772899);
  });

  it('returns an int32 equal to the BigInt reference', () => {
    const samples = ['job', 'x'.repeat(100), 'ÄÖÜ-ß-日本語', 'elastic-job-lite-nest', '\uffff'.repeat(7)];
    for (const sample of samples) {
      const hash = javaStringHashCode(sample);
      expect(hash).toBe(referenceHash(sample));
      expect(hash | 0).toBe(hash);
    }
  });
});
