import type { SloVerdict } from './format.js';
import type { ResultWriter } from './writer.js';

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function round(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

/** junit.xml: one test case per SLO, failed ones as failures, unavailable ones skipped (for CI test reports). */
export async function writeJunit(out: ResultWriter, suite: string, verdicts: readonly SloVerdict[], durationS: number): Promise<void> {
  const failures = verdicts.filter((v) => v.verdict === 'fail').length;
  const skipped = verdicts.filter((v) => v.verdict === 'unavailable').length;
  const cases = verdicts.map((v) => {
    const value = v.value === undefined ? 'unavailable' : `${round(v.value)} ${v.unit}`;
    const head = `  <testcase classname="kbench.slo.${v.side}" name="${xml(v.id)}" time="0">`;
    if (v.verdict === 'fail') return `${head}\n    <failure message="${xml(`${value}, threshold ${v.comparison} ${v.threshold} ${v.unit}`)}">${xml(`${v.description}: ${value}, threshold ${v.comparison} ${v.threshold} ${v.unit}`)}</failure>\n  </testcase>`;
    if (v.verdict === 'unavailable') return `${head}\n    <skipped message="${xml(v.reason ?? 'unavailable')}"/>\n  </testcase>`;
    return `${head}</testcase>`;
  });
  await out.writeText(
    'junit.xml',
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${xml(suite)}" tests="${verdicts.length}" failures="${failures}" skipped="${skipped}" time="${round(durationS)}">\n${cases.join('\n')}\n</testsuite>\n`,
  );
}
